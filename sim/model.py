"""One simulation run: ``run(scenario, seed) -> RunResult``.

The run is hybrid. SimPy carries the actors' decisions: an hourly tick per run (posting,
expiries, the platform's and the brands' sweeps) and the account managers' review desks.
Listings are never processes: they are rows of the live store, and every mechanism acts
on them in vectorised batches. Decisions taken between ticks are queued and applied, at
their true times, at the start of the next tick, before any sweep reads the store.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import simpy

from sim.agents.account_manager import Decision, ReviewDesk, ReviewItem
from sim.agents.counterfeiter import Counterfeiters
from sim.agents.legit_seller import LegitSellers
from sim.agents.platform import Platform
from sim.agents.rights_holder import Draft, RightsHolders
from sim.market import IntArray, ListingStore, build_brands
from sim.metrics import (
    Aggregates,
    DailySeries,
    Demand,
    EventLog,
    NoticeLog,
    Window,
    summarise,
)
from sim.policies import Policy, policy_table, route_name
from sim.rng import Streams, draw_seed
from sim.scenario import Scenario, scenario_dict

# progress(fraction of the horizon done, fake listings created so far), once a simulated day
ProgressFn = Callable[[float, int], None]
DISPLACEMENT_WINDOW_DAYS = 7
# what a removed fake leaves behind: the columns its removal is folded from
FOLDED_COLUMNS = ("id", "brand", "account", "created_h", "first_sale_h", "price_usd")
FOLDED_WITHOUT_EVENTS = FOLDED_COLUMNS[1:]  # the id is only for the event log


def _version() -> str:
    try:
        return metadata.version("takedown-lab")
    except metadata.PackageNotFoundError:
        return "0.0.0"


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced, in memory: metrics, daily series, notice trace, events."""

    scenario: Scenario
    seed: int
    version: str
    metrics: dict[str, float]
    daily: dict[str, np.ndarray]
    notices: dict[str, np.ndarray]
    events: dict[str, np.ndarray] | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary: scenario, seed, version and metrics."""
        return {
            "scenario": scenario_dict(self.scenario),
            "seed": self.seed,
            "version": self.version,
            "metrics": dict(self.metrics),
        }


def run(
    scenario: Scenario,
    seed: int | None = None,
    *,
    events: bool = False,
    progress: ProgressFn | None = None,
) -> RunResult:
    """Simulate one scenario with one root seed (drawn and recorded when not given)."""
    seed = draw_seed() if seed is None else int(seed)
    model = Model(scenario, Streams(seed), events=events)
    model.simulate(progress)
    return RunResult(
        scenario=scenario,
        seed=seed,
        version=_version(),
        metrics=model.metrics(),
        daily=model.daily.table(),
        notices=model.notices.table(),
        events=model.events.table() if model.events is not None else None,
    )


@dataclass
class OpenNotice:
    """A filed notice not yet decided: what it names and how it is being handled."""

    ids: IntArray
    valid: bool
    brand: int
    remove_first: bool
    genuine_down: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


class Model:
    """The wiring of one run: state, actors, desks and recorders."""

    def __init__(self, scenario: Scenario, streams: Streams, events: bool = False) -> None:
        sc = scenario
        self.scenario = sc
        self.env = simpy.Environment()
        self.window = Window(sc.scenario.warmup_days * 24.0, sc.scenario.horizon_days * 24.0)
        self.brands = build_brands(sc, streams.get("market.brands"))
        self.policies: tuple[Policy, ...] = tuple(
            policy_table()[code] for code in self.brands.programme
        )
        self.shares_leads = np.array([p.shares_leads for p in self.policies], dtype=bool)
        self.brand_cum = np.cumsum(self.brands.popularity)
        # a brand's shoppers are spread over its listings, and fakes follow popularity,
        # so each listing sees about the same views whatever its brand
        demand = Demand(
            np.full(self.brands.count, sc.market.views_per_listing_day),
            sc.market.fake_conversion,
            sc.market.fake_price_discount,
        )
        self.demand = demand
        self.daily = DailySeries(self.window.days)
        self.agg = Aggregates(self.window, demand, self.daily)
        self.notices = NoticeLog()
        self.events = EventLog() if events else None
        self.store = ListingStore()
        self.legit = LegitSellers(
            sc.legit_sellers, self.brand_cum, streams.get("legit.catalog"), self.agg, self.events
        )
        self.catalog = self.legit.catalog
        self.counterfeiters = Counterfeiters(
            sc.counterfeiters,
            sc.market,
            sc.platform.verification_pass_rate,
            streams.get("counterfeiters"),
        )
        self.platform = Platform(sc.platform, streams.get("platform"))
        self.holders = RightsHolders(
            sc.rights_holders, self.brands, self.window.days, streams.get("rights_holders")
        )
        self.holders.record.trusted[self.brands.of_programme("good_faith")] = True
        self.listing_rng = streams.get("listings")
        self.open_notices: dict[int, OpenNotice] = {}
        self._closed: dict[int, OpenNotice] = {}  # decided, removals still to apply
        self.pending: list[tuple[float, int]] = []  # (approved at, notice id), review-first
        self.floor_h = 0.0  # the hour being processed: nothing may be scheduled before it
        self._decided_by_kind = {
            "notice": self._notice_decided,
            "counter_notice": self._counter_decided,
        }
        self.pool, self.desks = self._build_desks(streams)
        self.warm: dict[str, Any] = {"busy_h": 0.0, "waits": {}}
        shape = (
            (self.brands.count, self.window.days) if sc.counterfeiters.displacement > 0 else (0, 0)
        )
        self.pressure = {"enforced": np.zeros(shape), "posted": np.zeros(shape)}

    # ------------------------------------------------------------------ setup

    def _build_desks(self, streams: Streams) -> tuple[ReviewDesk, dict[int, ReviewDesk]]:
        am = self.scenario.account_managers
        on = self._on_decided
        pool = ReviewDesk(self.env, am, am.pool_size, streams.get("am.pool"), on, "pool")
        desks: dict[int, ReviewDesk] = {}
        if am.dedicated_per_enrolled_brand > 0:
            for b in self.brands.of_programme("joint_force").tolist():
                rng = streams.get(f"am.brand.{b}")
                desks[b] = ReviewDesk(
                    self.env, am, am.dedicated_per_enrolled_brand, rng, on, f"brand-{b}"
                )
        return pool, desks

    def all_desks(self) -> list[ReviewDesk]:
        return [self.pool, *(self.desks[b] for b in sorted(self.desks))]

    def desk_for(self, brand: int) -> ReviewDesk:
        return self.desks.get(brand, self.pool)

    # ------------------------------------------------------------------ the run

    def simulate(self, progress: ProgressFn | None = None) -> None:
        horizon_h = self.window.horizon_h
        self.env.process(self._tick(progress))
        if self.window.warmup_h > 0:
            self.env.process(self._snapshot_warmup())
        self.env.run(until=horizon_h)
        if progress is not None:
            progress(1.0, self._fakes_so_far())
        self.floor_h = horizon_h
        self._apply_pending()
        self._expire(horizon_h)
        self._end_of_day(self.window.days)
        self._close()

    def _fakes_so_far(self) -> int:
        """Fake listings created since hour 0, warm-up included (for progress displays)."""
        return int(self.daily.cols["fakes_created"].sum())

    def _snapshot_warmup(self) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.window.warmup_h)
        self.warm["busy_h"] = sum(d.busy_hours for d in self.all_desks())
        self.warm["waits"] = {d.name: len(d.waits_h) for d in self.all_desks()}

    def _tick(self, progress: ProgressFn | None) -> Generator[simpy.Event, Any, None]:
        """The hourly step: decisions applied, expiries, sweeps, then the hour's posts."""
        hours = int(np.ceil(self.window.horizon_h))
        platform_every = max(1, round(self.scenario.platform.sweep_interval_h))
        for hour in range(hours):
            now = float(hour)
            self.floor_h = now
            self._apply_pending()
            self._expire(now)
            if hour % 24 == 0 and hour > 0:
                self._end_of_day(hour // 24)
                if progress is not None:
                    progress(now / self.window.horizon_h, self._fakes_so_far())
            if hour % platform_every == 0 and hour > 0:
                self._platform_sweep(now)
            sweeping = self.holders.sweeping(hour)
            if hour > 0 and sweeping.any():
                self._brand_sweep(now)
            self._post(hour)
            self.store.maybe_compact()
            yield self.env.timeout(1.0)

    def _end_of_day(self, day: int) -> None:
        """Close day ``day - 1``: snapshots, the good-faith review and displacement."""
        now = day * 24.0
        self.daily.set("fakes_live", day - 1, float(len(self.store)))
        self.daily.set(
            "queue_length", day - 1, float(sum(d.queue_length for d in self.all_desks()))
        )
        members = self.brands.of_programme("good_faith")
        if len(members):
            self.holders.record.review(members, day - 1, now, self.scenario.good_faith)
        if self.scenario.counterfeiters.displacement > 0:
            self._displace(day - 1)

    def _displace(self, day: int) -> None:
        """Shift posting away from brands that enforce hardest: those whose own actions
        (notices, confirmed leads) removed the largest share of the fakes posted to them
        over the last week. Weights scale by exp(-displacement * pressure / mean)."""
        lo = max(0, day - DISPLACEMENT_WINDOW_DAYS + 1)
        enforced = self.pressure["enforced"][:, lo : day + 1].sum(axis=1)
        posted = self.pressure["posted"][:, lo : day + 1].sum(axis=1)
        rate = enforced / np.maximum(posted, 1.0)
        if rate.mean() <= 0:
            return
        weights = self.brands.popularity * np.exp(
            -self.scenario.counterfeiters.displacement * rate / rate.mean()
        )
        self.brand_cum = np.cumsum(weights)

    def _count_pressure(self, what: str, brand: np.ndarray, t_h: float) -> None:
        """Per brand and day: fakes posted, and fakes the brand itself had removed."""
        if self.scenario.counterfeiters.displacement <= 0 or len(brand) == 0:
            return
        day = min(int(t_h // 24.0), self.window.days - 1)
        self.pressure[what][:, day] += np.bincount(brand, minlength=self.brands.count)

    # ------------------------------------------------------------------ posting

    def _post(self, hour: int) -> None:
        """New accounts, then the fakes posted in this hour, screened at upload."""
        self.counterfeiters.arrivals(float(hour))
        new = self.counterfeiters.post(float(hour), self.brand_cum)
        if hour + 1 > self.window.horizon_h:  # a horizon that ends inside this hour
            new = new.before(self.window.horizon_h)
        k = len(new)
        if k == 0:
            return
        self.agg.count("fake_listings_created", new.created_h, daily="fakes_created")
        self._count_pressure("posted", new.brand, float(hour))
        self.agg.count("relists", new.created_h[new.relist], daily="relists")
        screen = self.platform.screen_uploads(new.obfuscated, self._enrolled(new.brand))
        # price, first sale and lifetime matter only for the fakes that go live: the two
        # thirds caught at upload draw none of them
        keep = ~screen.caught
        brand, created = new.brand[keep], new.created_h[keep]
        live = len(brand)
        rng = self.listing_rng
        price = np.asarray(
            self.scenario.market.genuine_price_usd.sample(rng, live), dtype=np.float64
        )
        # a brand nobody buys (a zero or denormal sales rate) never sells: its first sale is
        # at +inf on purpose, so division by zero and overflow are the intended results
        with np.errstate(divide="ignore", over="ignore"):
            first_sale = created + rng.exponential(1.0, live) / self.demand.sales_rate_per_h(brand)
        ids = self.store.append(
            {
                "brand": brand,
                "account": new.account[keep],
                "obfuscated": new.obfuscated[keep],
                "created_h": created,
                "expires_h": created + self.counterfeiters.lifetimes_h(live),
                "first_sale_h": first_sale,
                "price_usd": price,
                "sweep_slot": self.holders.slot_of_brand[brand],
            }
        )
        if screen.lead[keep].any():
            rows = self.store.rows_of(ids[screen.lead[keep]])
            self.store.cols["lead"][rows] = True
        caught = screen.caught
        if caught.any():
            n = int(caught.sum())
            cols = {
                "id": self.store.reserve_ids(n),
                "brand": new.brand[caught],
                "account": new.account[caught],
                "created_h": new.created_h[caught],
                "first_sale_h": np.full(n, np.inf),  # never on sale
            }
            self._fold_removed(cols, new.created_h[caught], "proactive", at_upload=True)

    def _enrolled(self, brand: IntArray) -> np.ndarray | None:
        """Whether each of these fakes' brands takes leads (None when none are shared)."""
        return self.shares_leads[brand] if self.platform.has_leads else None

    # ------------------------------------------------------------------ removals

    def _remove_rows(self, rows: IntArray, t_h: np.ndarray | float, channel: str) -> np.ndarray:
        """Remove live fakes at ``t_h``; rows the seller had already ended go as "seller".

        Returns which of ``rows`` went by ``channel``.
        """
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), rows.shape)
        expires = self.store.col("expires_h")[rows]
        here = (expires > t) | (channel == "seller")
        if len(rows) == 0:
            return here
        if not here.all():
            self._remove_rows(rows[~here], expires[~here], "seller")
            rows, t = rows[here], t[here]
        cols = self.store.take(
            rows, FOLDED_WITHOUT_EVENTS if self.events is None else FOLDED_COLUMNS
        )
        self.store.kill(rows)
        self._fold_removed(cols, t, channel)
        return here

    def _fold_removed(
        self, cols: dict[str, np.ndarray], t: np.ndarray, channel: str, at_upload: bool = False
    ) -> None:
        """Aggregates, events and the sellers' reaction (relists, strikes, bans)."""
        self.agg.fakes_removed(cols, t, channel, at_upload)
        if self.events is not None:
            self.events.add("removed", t, cols["id"], cols["brand"], True, channel)
        if channel in ("seller", "ban"):
            return
        account = cols["account"].astype(np.int64)
        brand = cols["brand"].astype(np.int64)
        if channel in ("notice", "lead"):
            self._count_pressure("enforced", brand, float(t.min()) if len(t) else 0.0)
        self.counterfeiters.schedule_relists(account, brand, t, self.floor_h)
        outcome = self.platform.strike(self.counterfeiters.accounts, account, t)
        if len(outcome.banned):
            self._ban(outcome.banned, outcome.banned_h)

    def _ban(self, accounts: IntArray, t_h: np.ndarray) -> None:
        """Close accounts and take down every live listing they still have."""
        self.agg.count("accounts_banned", t_h, daily="accounts_banned")
        self.counterfeiters.banned(accounts, t_h, self.floor_h)
        rows = self.store.rows_where("account", accounts)
        acc_col = self.store.col("account")
        order = np.argsort(accounts, kind="stable")
        ban_h = np.asarray(t_h, dtype=np.float64)[order]
        at = np.searchsorted(accounts[order], acc_col[rows])
        t = np.maximum(ban_h[at], self.store.col("created_h")[rows])
        self._remove_rows(rows, t, "ban")

    def _expire(self, now_h: float) -> None:
        """Listings whose sellers ended them by now."""
        rows = self.store.expiring(now_h)
        if len(rows):
            self._remove_rows(rows, self.store.col("expires_h")[rows], "seller")

    # ------------------------------------------------------------------ sweeps

    def _platform_sweep(self, now_h: float) -> None:
        """Proactive sweep of live fakes (removals and leads) and of genuine listings."""
        rows = np.flatnonzero(self.store.alive_mask())
        enrolled = self._enrolled(self.store.col("brand")[rows])
        screen = self.platform.sweep(self.store.col("obfuscated")[rows], enrolled)
        self.store.cols["lead"][rows[screen.lead]] = True
        self._remove_rows(rows[screen.caught], now_h, "proactive")
        live = np.flatnonzero(self.catalog.live)
        wrong = live[self.platform.false_positives(len(live))]
        removed = self.legit.take_down(wrong, now_h, "proactive")
        self._contest(removed, now_h, charge_brand=False)

    def _brand_sweep(self, now_h: float) -> None:
        """All brands sweeping this hour: confirmed leads removed, finds cut into notices."""
        lead_p = self.scenario.platform.lead_confirm_prob
        hits = self.holders.sweep(self.store, int(now_h), lead_p)
        self._remove_rows(hits.lead_rows, now_h, "lead")
        found = hits.found_rows
        valid = self.holders.drafts(
            self.store.col("brand")[found].astype(np.int64), self.store.col("id")[found]
        )
        self.store.cols["noticed"][found] = True  # filed together below
        immediate = self._file_all(valid, now_h, True)
        self._take_down(immediate, np.full(len(immediate), now_h))
        # filed one by one: a genuine listing under a notice is not picked again
        for brand in self.holders.invalid_brands(valid):
            ids = self.holders.pick_genuine(self.catalog, brand)
            if len(ids):
                self._file(Draft(brand, ids, False), now_h)

    # ------------------------------------------------------------------ notices

    def _file_all(self, drafts: list[Draft], now_h: float, valid: bool) -> list[int]:
        """File notices together at ``now_h``, all valid or all not: logged, counted and
        submitted to their desks in order. Returns the ids of the remove-first ones,
        whose listings the caller takes down now."""
        if not drafts:
            return []
        brands = [d.brand for d in drafts]
        record = self.holders.record
        policies = [self.policies[b] for b in brands]
        first = [p.remove_first(b, record) for p, b in zip(policies, brands, strict=True)]
        nids = self.notices.file_many(
            now_h,
            brands,
            [len(d.ids) for d in drafts],
            valid,
            [route_name(p, f) for p, f in zip(policies, first, strict=True)],
        )
        self.daily.add("notices_filed", now_h, weight=float(len(drafts)))
        record.add_many("filed", brands, now_h)
        for nid, draft, f in zip(nids, drafts, first, strict=True):
            self.open_notices[nid] = OpenNotice(draft.ids, valid, draft.brand, f)
            self.desk_for(draft.brand).submit(ReviewItem(nid, draft.brand, valid, now_h))
        return [nid for nid, f in zip(nids, first, strict=True) if f]

    def _file(self, draft: Draft, now_h: float) -> None:
        """File one notice and flag its listings as under notice; a remove-first one is
        acted on now."""
        self._mark_noticed(draft.ids, draft.valid, True)
        for nid in self._file_all([draft], now_h, draft.valid):
            self._act_on_notice(nid, now_h)

    def _mark_noticed(self, ids: IntArray, valid: bool, flag: bool) -> None:
        if valid:
            self.store.cols["noticed"][self.store.rows_of(ids)] = flag
        else:
            self.catalog.noticed[ids] = flag

    def _notice(self, nid: int) -> OpenNotice:
        return self.open_notices.get(nid) or self._closed[nid]

    def _take_down(self, nids: list[int], t_h: np.ndarray) -> None:
        """Take down the live fakes of valid notices, notice ``nids[i]`` at ``t_h[i]``,
        in one batch."""
        if not nids:
            return
        parts = [self._notice(nid).ids for nid in nids]
        owner = np.repeat(np.arange(len(nids)), [len(p) for p in parts])
        ids = np.concatenate(parts)
        order = np.argsort(ids, kind="stable")
        rows, live = self.store.locate(ids[order])
        rows, owner = rows[live], owner[order][live]
        here = self._remove_rows(rows, t_h[owner], "notice")
        self.notices.removed_many(nids, t_h, np.bincount(owner[here], minlength=len(nids)))

    def _act_on_notice(self, nid: int, t_h: float) -> None:
        """Take down what one notice names (still live) at ``t_h``."""
        notice = self._notice(nid)
        if notice.valid:
            self._take_down([nid], np.array([t_h]))
            return
        notice.genuine_down = self.legit.take_down(notice.ids, t_h, "notice")
        self.notices.removed(nid, t_h, len(notice.genuine_down))

    def _on_decided(self, item: ReviewItem, decision: Decision) -> None:
        """A desk decided something: dispatch on what it was."""
        self._decided_by_kind[item.kind](item, decision)

    def _notice_decided(self, item: ReviewItem, d: Decision) -> None:
        nid = item.item_id
        notice = self.open_notices.pop(nid)
        self.notices.decided(nid, d.decided_h)
        record = self.holders.record
        record.add("decided", notice.brand, d.decided_h)
        if d.approved:
            record.add("approved", notice.brand, d.decided_h)
            self._approved(nid, notice, d.decided_h)
        else:
            self._rejected(notice, d.decided_h)

    def _approved(self, nid: int, notice: OpenNotice, t_h: float) -> None:
        if notice.valid and not notice.remove_first:
            self._closed[nid] = notice
            self.pending.append((t_h, nid))
            return
        if not notice.valid:
            if not notice.remove_first:
                self._closed[nid] = notice
                self._act_on_notice(nid, t_h)
                del self._closed[nid]
            down = notice.genuine_down
            self.catalog.noticed[notice.ids] = False
            self._contest(down, t_h, charge_brand=True)

    def _rejected(self, notice: OpenNotice, t_h: float) -> None:
        """A rejected notice frees its listings for later notices; genuine listings taken
        down on filing are restored. Fakes taken down on filing stay down even when a
        valid notice is wrongly rejected (the platform does not put a fake back up)."""
        self._mark_noticed(notice.ids, notice.valid, False)
        if notice.remove_first and not notice.valid:
            self.legit.restore(notice.genuine_down, t_h)

    def _apply_pending(self) -> None:
        """Approved review-first notices: their removals, at their true approval times."""
        if not self.pending:
            return
        ordered = sorted(self.pending)
        nids = [nid for _, nid in ordered]
        self._take_down(nids, np.array([t for t, _ in ordered]))
        for nid in nids:
            del self._closed[nid]
        self.pending.clear()

    # ------------------------------------------------------------------ counter-notices

    def _contest(self, ids: IntArray, t_h: float, charge_brand: bool) -> None:
        """Sellers counter-notify some wrongful removals; the brand's desk reviews those
        against its notices (and they count against its record), the pool the rest."""
        for cid, gid in self.legit.file_counters(ids, t_h):
            brand = int(self.catalog.brand[gid])
            if charge_brand:
                self.holders.record.add("counter", brand, t_h)
            desk = self.desk_for(brand) if charge_brand else self.pool
            desk.submit(ReviewItem(cid, brand, True, t_h, "counter_notice"))

    def _counter_decided(self, item: ReviewItem, d: Decision) -> None:
        self.legit.counter_decided(item.item_id, d.approved, d.decided_h)

    # ------------------------------------------------------------------ the end

    def metrics(self) -> dict[str, float]:
        """Every metric of the measured window."""
        desks = self.all_desks()
        w = self.window
        waits = [np.asarray(d.waits_h[self.warm["waits"].get(d.name, 0) :]) for d in desks]
        am = {
            "busy_h": sum(d.busy_hours for d in desks) - self.warm["busy_h"],
            "available_h": sum(
                d.available_hours(w.horizon_h) - d.available_hours(w.warmup_h) for d in desks
            ),
            "waits_h": np.concatenate([np.empty(0), *waits]),
        }
        return summarise(
            self.agg,
            self.notices.table(),
            am,
            self.counterfeiters.accounts.active_count,
        )

    def _close(self) -> None:
        """Fold what is still live or still down at the horizon."""
        rows = np.flatnonzero(self.store.alive_mask())
        cols = self.store.take(rows)
        end = np.full(len(rows), self.window.horizon_h)
        self.agg.exposure(cols["brand"].astype(np.int64), cols["created_h"], cols["price_usd"], end)
        self.legit.still_down(self.window.horizon_h)
