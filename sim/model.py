"""One simulation run: ``run(scenario, seed) -> RunResult``.

The run is hybrid. SimPy carries the actors' decisions: an hourly tick per run (posting,
expiries, the platform's and the brands' sweeps) and the account managers' review desks.
Listings are never processes: they are rows of the live store, and every mechanism acts
on them in vectorised batches. Decisions taken between ticks are queued and applied, at
their true times, at the start of the next tick, before any sweep reads the store.

This module wires one run and drives its hours. The parts it wires live in their own
modules: the live store (``sim.store``), removals and the sellers' reactions
(``sim.removals``), the notice lifecycle (``sim.notices``), the strategies and what
their decisions do (``sim.policies``), displacement (``sim.displacement``) and the
actors (``sim.agents``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from sim.agents.account_manager import Decision, DeskSnapshot, ReviewDesks, ReviewItem
from sim.agents.counterfeiter import Counterfeiters, NewListings
from sim.agents.legit_seller import LegitSellers
from sim.agents.platform import Platform, Screening
from sim.agents.rights_holder import RightsHolders
from sim.demand import Demand
from sim.displacement import Displacement
from sim.market import build_brands
from sim.metrics import Aggregates, DailySeries, Window, summarise
from sim.misuse import Misuse
from sim.notices import NoticeLifecycle
from sim.notifiers import Abusers, AbuserSide, brand_precision, notifier_policies
from sim.policies import Policy
from sim.programmes import EarnedSelfService, NoticeRules, notifier_programmes
from sim.removals import Removals
from sim.response import build_response
from sim.rng import Streams, draw_seed
from sim.run_result import RunResult as RunResult
from sim.scenario import PROGRAMMES, Scenario
from sim.seller_misuse import build_seller_misuse
from sim.store import ListingStore
from sim.traces import EventLog, NoticeLog
from sim.types import BoolArray, IntArray
from sim.version import package_version

# progress(fraction of the horizon done, fake listings created so far), once a simulated day
ProgressFn = Callable[[float, int], None]


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
    return model.result(seed)


class Model:
    """The wiring of one run: state, actors, desks and recorders."""

    def __init__(self, scenario: Scenario, streams: Streams, events: bool = False) -> None:
        sc = scenario
        self.scenario = sc
        self.env = simpy.Environment()
        self.window = Window(sc.scenario.warmup_days * 24.0, sc.scenario.horizon_days * 24.0)
        self.brands = build_brands(sc, streams.get("market.brands"))
        self.policies: tuple[Policy, ...] = notifier_policies(sc, self.brands)
        brand_policies = self.policies[: self.brands.count]
        self.shares_leads = np.array([p.shares_leads for p in brand_policies], dtype=bool)
        self.brand_cum = np.cumsum(self.brands.popularity)
        self.demand = Demand(sc.market, streams)
        self.daily = DailySeries(self.window.days, self.window.horizon_h)
        self.notices = NoticeLog()
        self.events = EventLog() if events else None
        self.agg = Aggregates(self.window, self.demand, self.daily, self.events)
        self.store = ListingStore()
        self._build_actors(streams)
        self.listing_rng = streams.get("listings")
        jf = self.brands.of_programme("joint_force")
        classes = bool(sc.review_priority.first)
        self.desks = ReviewDesks(
            self.env, sc.account_managers, jf, streams, self._on_decided, classes
        )
        self.warm = DeskSnapshot()  # the desks at the end of the warm-up
        self.displacement = Displacement(
            sc.counterfeiters.displacement, self.brands.popularity, self.window.days
        )
        self._build_flows()

    # ------------------------------------------------------------------ setup

    def _build_actors(self, streams: Streams) -> None:
        sc = self.scenario
        self.platform = Platform(sc.platform, streams.get("platform"))
        self.legit = LegitSellers(
            sc.legit_sellers,
            self.brand_cum,
            streams.get("legit.catalog"),
            self.agg,
            self.events,
            market=sc.market,
            platform=self.platform,
        )
        self.catalog = self.legit.catalog
        self.response = build_response(
            sc, self.demand, self.brands, self.window, self.daily, streams
        )
        self.counterfeiters = Counterfeiters(
            sc.counterfeiters,
            sc.market,
            sc.platform.verification_pass_rate,
            streams.get("counterfeiters"),
            self.response,
        )
        self.holders = RightsHolders(
            sc.rights_holders,
            self.brands,
            self.window.days,
            streams.get("rights_holders"),
            notifiers=self.brands.count + sc.abusers.count,
            precision=brand_precision(sc, self.brands, streams.get("rights_holders.precision")),
        )
        self.abusers = Abusers(sc.abusers, self.brands, streams.get("abusers"))
        programme = notifier_programmes(sc, self.brands.programme)
        self.rules = NoticeRules(sc, programme, streams.get("notice_rules"))
        members = np.flatnonzero(programme == PROGRAMMES.index("project_zero"))
        self.self_service = EarnedSelfService(
            sc.project_zero, members, self.holders.record, self.events
        )
        self.holders.record.trusted[self.brands.of_programme("good_faith")] = True

    def _build_flows(self) -> None:
        self.removals = Removals(
            self.store, self.agg, self.events, self.counterfeiters, self.platform,
            self.displacement, self.response,
        )  # fmt: skip
        self.lifecycle = NoticeLifecycle(
            store=self.store,
            legit=self.legit,
            holders=self.holders,
            policies=self.policies,
            log=self.notices,
            daily=self.daily,
            desks=self.desks,
            removals=self.removals,
            rules=self.rules,
        )
        self.misuse = Misuse(self.scenario.misuse, self.holders.record, self.rules, self.agg)
        sellers = (self.scenario.seller_misuse, self.agg, self.events, self.removals, self.legit)
        self.seller_misuse = build_seller_misuse(*sellers)

    def _on_decided(self, item: ReviewItem, decision: Decision) -> None:
        self.lifecycle.decided(item, decision)

    # ------------------------------------------------------------------ the run

    def simulate(self, progress: ProgressFn | None = None) -> None:
        horizon_h = self.window.horizon_h
        self.env.process(self._tick(progress))
        if self.window.warmup_h > 0:
            self.env.process(self._snapshot_warmup())
        self.env.run(until=horizon_h)
        if progress is not None:
            progress(1.0, self._fakes_so_far())
        self.removals.floor_h = horizon_h
        self.lifecycle.apply_pending()
        self.removals.expire(horizon_h)
        self._end_of_day(self.window.days)
        self._close()

    def _fakes_so_far(self) -> int:
        """Fake listings created since hour 0, warm-up included (for progress displays)."""
        return int(self.daily.cols["fakes_created"].sum())

    def _snapshot_warmup(self) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.window.warmup_h)
        self.warm = self.desks.snapshot()

    def _tick(self, progress: ProgressFn | None) -> Generator[simpy.Event, Any, None]:
        """The hourly step: decisions applied, expiries, sweeps, then the hour's posts."""
        hours = int(np.ceil(self.window.horizon_h))
        platform_every = max(1, round(self.scenario.platform.sweep_interval_h))
        for hour in range(hours):
            now = float(hour)
            self.removals.floor_h = now  # nothing may be scheduled before this hour
            self.lifecycle.apply_pending()
            self.removals.expire(now)
            if hour % 24 == 0 and hour > 0:
                self._end_of_day(hour // 24)
                if progress is not None:
                    progress(now / self.window.horizon_h, self._fakes_so_far())
            if hour % platform_every == 0 and hour > 0:
                self._platform_sweep(now)
            sweeping = self.holders.sweeping(hour)
            if hour > 0 and sweeping.any():
                self.agg.add("brand_sweeps", now, float(np.count_nonzero(sweeping)))
                self._brand_sweep(now)
            if self.abusers.count:
                side = AbuserSide(self.store, self.catalog, self.holders)
                self.abusers.file_hour(side, self.lifecycle, now, self._may_file(now))
            self._post(hour)
            self.store.maybe_compact()
            yield self.env.timeout(1.0)

    def _may_file(self, now_h: float) -> np.ndarray:
        """Which bad-faith notifiers may file now."""
        return self.rules.may_file(self.abusers.ids, now_h)

    def _end_of_day(self, day: int) -> None:
        """Close day ``day - 1``: snapshots, the good-faith review and displacement."""
        now = day * 24.0
        self.daily.set("fakes_live", day - 1, float(len(self.store)))  # hidden ones too
        self.daily.set("queue_length", day - 1, float(self.desks.queue_length))
        self.agg.harm.flush()  # the day's units sold and lost, drawn together
        members = self.brands.of_programme("good_faith")
        if len(members):
            self.holders.record.review(members, day - 1, now, self.scenario.good_faith)
        self.self_service.review(day - 1, now)
        self.misuse.review(day - 1, now)
        self.seller_misuse.review(day - 1, now)
        actors = (self.store, self.counterfeiters, self.removals, self.platform)
        chosen = self.response.close_day(day - 1, *actors)  # the choice rule's weights win
        if self.displacement.on:
            moved = self.displacement.brand_cum(day - 1)
            if moved is not None:
                self.brand_cum = moved
        self.brand_cum = self.brand_cum if chosen is None else chosen

    # ------------------------------------------------------------------ posting

    def _post(self, hour: int) -> None:
        """New accounts, then the fakes posted in this hour, screened at upload."""
        self.counterfeiters.arrivals(float(hour))
        new = self.response.to_outside(self.counterfeiters.post(float(hour), self.brand_cum))
        if hour + 1 > self.window.horizon_h:  # a horizon that ends inside this hour
            new = new.before(self.window.horizon_h)
        if len(new) == 0:
            return
        self.agg.count("fake_listings_created", new.created_h, daily="fakes_created")
        self.response.posted(new, float(hour))
        self.displacement.posted(new.brand, float(hour))
        self.agg.count("relists", new.created_h[new.relist], daily="relists")
        screen = self.platform.screen_uploads(new.obfuscated, self._enrolled(new.brand))
        self._list(new, screen)
        if screen.caught.any():
            self._caught_at_upload(new, screen.caught, hour)

    def _list(self, new: NewListings, screen: Screening) -> None:
        """The fakes that pass the upload check go live (leads flagged as such)."""
        # price, first sale and lifetime matter only for the fakes that go live: the two
        # thirds caught at upload draw none of them
        keep = ~screen.caught
        brand, created = new.brand[keep], new.created_h[keep]
        live = len(brand)
        rng = self.listing_rng
        price = np.asarray(
            self.scenario.market.genuine_price_usd.sample(rng, live), dtype=np.float64
        )
        popularity = self.demand.popularity(live)
        # a listing nobody buys (a zero or denormal sales rate) never sells: its first sale
        # is at +inf on purpose, so division by zero and overflow are the intended results
        rate = self.demand.sales_rate_per_h(popularity)
        with np.errstate(divide="ignore", over="ignore"):
            first_sale = created + rng.exponential(1.0, live) / rate
        ids = self.store.append(
            {
                "brand": brand,
                "account": new.account[keep],
                "obfuscated": new.obfuscated[keep],
                "created_h": created,
                "expires_h": created + self.counterfeiters.lifetimes_h(live),
                "first_sale_h": first_sale,
                "price_usd": price,
                "popularity": popularity,
                "sweep_slot": self.holders.slot_of_brand[brand],
            }
        )
        self.daily.books(created, +1.0)
        if screen.lead[keep].any():
            rows = self.store.rows_of(ids[screen.lead[keep]])
            self.store.cols["lead"][rows] = True
        if self.events is not None:
            account, relist = new.account[keep], new.relist[keep]
            self._log_posted(ids, brand, account, created, relist, price)
            self.events.add("went_live", created, ids, brand, True, "upload", account=account)

    def _log_posted(
        self,
        ids: IntArray,
        brand: IntArray,
        account: IntArray,
        created_h: np.ndarray,
        relist: BoolArray,
        price_usd: np.ndarray | float,
    ) -> None:
        assert self.events is not None
        channel = np.where(relist, "relist", "new").astype(object)
        self.events.add(
            "posted", created_h, ids, brand, True, channel, account=account, price_usd=price_usd
        )

    def _caught_at_upload(self, new: NewListings, caught: BoolArray, hour: int) -> None:
        """Fakes removed as they were posted: ids of their own, never on sale. The hour's
        relists are already posted, so a relist of these that would fall in this hour
        waits for the next one, as every reaction due in an hour already processed does
        (posted late with its earlier time, it was in the log before the store)."""
        n = int(caught.sum())
        cols = {
            "id": self.store.reserve_ids(n),
            "brand": new.brand[caught],
            "account": new.account[caught],
            "created_h": new.created_h[caught],
            "first_sale_h": np.full(n, np.inf),  # never on sale
        }
        if self.events is not None:
            self._log_posted(
                cols["id"], cols["brand"], cols["account"], cols["created_h"],
                new.relist[caught], np.nan,
            )  # fmt: skip
        floor_h = self.removals.floor_h
        self.removals.floor_h = float(hour + 1)
        self.removals.fold(cols, new.created_h[caught], "proactive", at_upload=True)
        self.removals.floor_h = floor_h

    def _enrolled(self, brand: IntArray) -> BoolArray | None:
        """Whether each of these fakes' brands takes leads (None when none are shared)."""
        return self.shares_leads[brand] if self.platform.has_leads else None

    # ------------------------------------------------------------------ sweeps

    def _platform_sweep(self, now_h: float) -> None:
        """Proactive sweep of live fakes (removals and leads) and of genuine listings."""
        rows = np.flatnonzero(self.store.visible_mask(now_h))
        enrolled = self._enrolled(self.store.col("brand")[rows])
        screen = self.platform.sweep(self.store.col("obfuscated")[rows], enrolled)
        self.store.cols["lead"][rows[screen.lead]] = True
        self.removals.remove_rows(rows[screen.caught], now_h, "proactive")
        live = np.flatnonzero(self.catalog.live)
        self.agg.add("listings_swept", now_h, float(len(rows) + len(live)))
        wrong = live[self.platform.false_positives(len(live))]
        removed = self.legit.take_down(wrong, now_h, "proactive")
        self.lifecycle.contest(removed, now_h, charge_brand=False)

    def _brand_sweep(self, now_h: float) -> None:
        """All brands sweeping this hour: confirmed leads removed, finds cut into notices."""
        lead_p = self.scenario.platform.lead_confirm_prob
        hits = self.holders.sweep(self.store, int(now_h), lead_p)
        self.removals.remove_rows(hits.lead_rows, now_h, "lead")
        self.lifecycle.file_found(hits.found_rows, now_h)

    # ------------------------------------------------------------------ the end

    def result(self, seed: int) -> RunResult:
        """The outputs of a simulated run with root seed ``seed``, as ``run`` returns them."""
        return RunResult(
            scenario=self.scenario,
            seed=seed,
            version=package_version(),
            metrics=self.metrics(),
            daily=self.daily.table(),
            notices=self.notices.table(),
            events=self.events.table() if self.events is not None else None,
        )

    def metrics(self) -> dict[str, float]:
        """Every metric of the measured window."""
        w = self.window
        return summarise(
            self.agg,
            self.notices.table(),
            self.desks.totals(self.warm, w.warmup_h, w.horizon_h),
            self.counterfeiters.accounts.active_count,
            self.scenario.costs,
            {**self.response.metrics(self.counterfeiters), **self.seller_misuse.metrics()},
        )

    def _close(self) -> None:
        """Fold what is still live or still down at the horizon."""
        rows = np.flatnonzero(self.store.alive_mask())
        cols = self.store.take(rows)
        end = np.full(len(rows), self.window.horizon_h)
        self.agg.exposure(cols, end)
        self.removals.log_first_sales(cols, end)
        self.legit.still_down(self.window.horizon_h)
        self.agg.harm.flush()
