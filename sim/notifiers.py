"""Notifiers: who files notices, and how precise each one is.

Honest rights holders file under their brand's id (``0 .. brands - 1``); bad-faith
notifiers (competitors, extortionists) come after them, ``brands .. brands + count - 1``,
and file under their own. An honest brand's precision may differ by programme and from
brand to brand; a bad-faith notifier names its rivals' genuine listings except for a
share of real fakes it reports as cover.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.agents.rights_holder import Draft, RightsHolders
from sim.market import Brands, GenuineCatalog, pick_brands
from sim.notices import NoticeLifecycle
from sim.policies import Policy, policy_table
from sim.scenario import PROGRAMMES, Scenario
from sim.scenario_notifiers import Abusers as AbusersConfig
from sim.scenario_types import MIN_RATE_PER_DAY
from sim.store import ListingStore
from sim.types import FloatArray, IntArray


def brand_precision(
    scenario: Scenario, brands: Brands, rng: np.random.Generator
) -> FloatArray | None:
    """Each brand's notice precision: its programme's (``notice_precision_by_programme``,
    else ``notice_precision``), spread by a Beta draw when a concentration is given. None
    when every brand has ``notice_precision`` (the model then draws as it always has)."""
    rh = scenario.rights_holders
    by_programme = np.array(
        [rh.notice_precision_by_programme.get(p, rh.notice_precision) for p in PROGRAMMES]
    )
    mean = by_programme[brands.programme]
    kappa = rh.notice_precision_concentration
    if kappa == 0 and np.all(mean == rh.notice_precision):
        return None
    if kappa == 0:
        return mean
    inside = (mean > 0) & (mean < 1)  # a mean of 0 or 1 has no spread
    m = np.where(inside, mean, 0.5)
    draws = rng.beta(kappa * m, kappa * (1 - m))
    return np.where(inside, draws, mean)


def notifier_policies(scenario: Scenario, brands: Brands) -> tuple[Policy, ...]:
    """The strategy handling each notifier's notices: its brand's programme, and the
    bad-faith notifiers' own programme after them."""
    table = policy_table()
    own = [table[code] for code in brands.programme]
    abusers = scenario.abusers
    route = table[PROGRAMMES.index(abusers.programme)]
    return (*own, *([route] * abusers.count))


@dataclass(frozen=True)
class AbuserSide:
    """What the bad-faith notifiers reach: the live fakes and the genuine catalogue."""

    store: ListingStore
    catalog: GenuineCatalog
    holders: RightsHolders


class Abusers:
    """Bad-faith notifiers: each files notices at its own Poisson rate against the genuine
    listings of its rival brands (and a share against real fakes of them, as cover)."""

    def __init__(self, config: AbusersConfig, brands: Brands, rng: np.random.Generator) -> None:
        self.config = config
        self.first_id = brands.count
        self.count = config.count
        self._rng = rng
        rate = np.asarray(config.notices_per_day.sample(rng, self.count), dtype=np.float64)
        self.rate_per_h = np.where(rate >= MIN_RATE_PER_DAY, rate, 0.0) / 24.0
        cum = np.cumsum(brands.popularity)
        picks = pick_brands(cum, rng, self.count * config.rival_brands)
        self.rivals: IntArray = picks.reshape(self.count, config.rival_brands)

    @property
    def ids(self) -> IntArray:
        """The notifier ids of the bad-faith notifiers."""
        return np.arange(self.first_id, self.first_id + self.count, dtype=np.int64)

    def due(self, may_file: np.ndarray) -> list[tuple[int, int, bool]]:
        """This hour's notices as (notifier, rival brand, valid), by notifier; ``may_file``
        says which of them may file now (the suspended may not)."""
        rng = self._rng
        n = rng.poisson(self.rate_per_h) * may_file
        who = np.repeat(np.arange(self.count), n)
        if len(who) == 0:
            return []
        brand = self.rivals[who, rng.integers(0, self.config.rival_brands, len(who))]
        valid = rng.random(len(who)) < self.config.precision
        ids = (who + self.first_id).tolist()
        return list(zip(ids, brand.tolist(), valid.tolist(), strict=True))

    def draft(
        self, side: AbuserSide, notifier: int, brand: int, valid: bool, now_h: float
    ) -> Draft:
        """The notice: up to ``listings_per_notice`` live listings of the rival brand not
        under notice, genuine ones or (cover) fakes on show, a uniform choice."""
        k = self.config.listings_per_notice
        if valid:
            store = side.store
            slot = np.array([side.holders.slot_of_brand[brand]], dtype=np.int64)
            rows = store.rows_where("sweep_slot", slot)
            ok = (store.cols["brand"][rows] == brand) & ~store.cols["noticed"][rows]
            rows = rows[ok & (store.cols["live_from_h"][rows] <= now_h)]
            pool = store.col("id")[rows]
        else:
            own = side.holders.genuine_of(side.catalog, brand)
            pool = own[side.catalog.live[own] & ~side.catalog.noticed[own]]
        take = self._rng.choice(pool, size=min(k, len(pool)), replace=False)
        return Draft(brand, np.sort(take.astype(np.int64)), valid, notifier)

    def file_hour(
        self, side: AbuserSide, lifecycle: NoticeLifecycle, now_h: float, may_file: np.ndarray
    ) -> None:
        """File this hour's bad-faith notices (those that find something to name)."""
        for notifier, brand, valid in self.due(may_file):
            draft = self.draft(side, notifier, brand, valid, now_h)
            if len(draft.ids):
                lifecycle.file(draft, now_h)
