"""The wording table: each metric's label and the words for "this strategy moved it up /
down"; its unit and better direction come from the contract (``sim.contract``)."""

from __future__ import annotations

from dataclasses import dataclass

from reports.wording_harm import harm_wording
from reports.wording_notifiers import NOTIFIER_WORDING
from reports.wording_response import RESPONSE_WORDING
from reports.wording_sellers import SELLER_WORDING
from sim.contract import METRIC_BY_NAME


@dataclass(frozen=True)
class Wording:
    """Display rules for one metric.

    ``scale`` turns the stored value into the shown one (shares become percent);
    ``diff_unit`` is the unit of a difference (percentage points for shares);
    ``higher_better`` is None when neither direction is a win; ``up``/``down`` are
    verb phrases with ``{v}`` for the size of the change.
    """

    label: str
    unit: str
    diff_unit: str
    higher_better: bool | None
    up: str
    down: str
    scale: float = 1.0


_DISPLAY = {  # contract unit -> (shown unit, unit of a difference, scale)
    "share": ("%", " pp", 100.0),
    "h": (" h", " h", 1.0),
    "USD": (" USD", " USD", 1.0),
}


def _rules(metric: str, label: str, up: str, down: str) -> Wording:
    """The wording of a metric of the contract: its unit and direction come from there."""
    spec = METRIC_BY_NAME[metric]
    unit, diff_unit, scale = _DISPLAY.get(spec.unit, ("", "", 1.0))
    return Wording(label, unit, diff_unit, spec.higher_better, up, down, scale)


def _hours(metric: str, label: str, at: str) -> Wording:
    return _rules(
        metric, label, f"removes fakes {{v}} later {at}", f"removes fakes {{v}} sooner {at}"
    )


WORDING: dict[str, Wording] = {
    "fake_listings_created": _rules(
        "fake_listings_created",
        "fake listings created",
        "sees {v} more fakes listed",
        "sees {v} fewer fakes listed",
    ),
    "fake_removed_proactive": _rules(
        "fake_removed_proactive",
        "fakes removed proactively",
        "removes {v} more fakes proactively",
        "removes {v} fewer fakes proactively",
    ),
    "fake_removed_notice": _rules(
        "fake_removed_notice",
        "fakes removed on notice",
        "removes {v} more fakes on notice",
        "removes {v} fewer fakes on notice",
    ),
    "fake_removed_lead": _rules(
        "fake_removed_lead",
        "fakes removed via leads",
        "removes {v} more fakes via leads",
        "removes {v} fewer fakes via leads",
    ),
    "fake_removed_ban": _rules(
        "fake_removed_ban",
        "fakes removed by bans",
        "removes {v} more fakes by bans",
        "removes {v} fewer fakes by bans",
    ),
    "fake_removed_seller": _rules(
        "fake_removed_seller",
        "fakes ended by seller",
        "sees sellers end {v} more fakes",
        "sees sellers end {v} fewer fakes",
    ),
    "proactive_to_notice_ratio": _rules(
        "proactive_to_notice_ratio",
        "proactive:notice removal ratio",
        "raises the proactive:notice ratio by {v}",
        "lowers the proactive:notice ratio by {v}",
    ),
    "removed_before_first_sale_share": _rules(
        "removed_before_first_sale_share",
        "removed before a first sale",
        "removes {v} more fakes before a first sale",
        "removes {v} fewer fakes before a first sale",
    ),
    "fake_exposure_listing_days": _rules(
        "fake_exposure_listing_days",
        "fake exposure (listing-days)",
        "leaves fakes up {v} listing-days longer",
        "cuts fake exposure by {v} listing-days",
    ),
    "fake_views": _rules(
        "fake_views", "fake views", "lets {v} more fake views through", "prevents {v} fake views"
    ),
    "fake_sales": _rules(
        "fake_sales", "fake sales", "lets {v} more fake sales through", "prevents {v} fake sales"
    ),
    "fake_sales_value": _rules(
        "fake_sales_value",
        "fake sales value",
        "lets {v} more fake sales value through",
        "prevents {v} of fake sales",
    ),
    "notices_filed": _rules(
        "notices_filed", "notices filed", "draws {v} more notices", "draws {v} fewer notices"
    ),
    "notice_precision": _rules(
        "notice_precision",
        "notice precision",
        "has {v} more precise notices",
        "has {v} less precise notices",
    ),
    "notice_to_removal_h_p50": _hours(
        "notice_to_removal_h_p50", "notice to removal, median", "at the median"
    ),
    "notice_to_removal_h_p90": _hours(
        "notice_to_removal_h_p90", "notice to removal, p90", "at p90"
    ),
    "notice_to_removal_h_p95": _hours(
        "notice_to_removal_h_p95", "notice to removal, p95", "at p95"
    ),
    "notice_to_removal_h_p99": _hours(
        "notice_to_removal_h_p99", "notice to removal, p99", "at p99"
    ),
    "notices_within_24h_share": _rules(
        "notices_within_24h_share",
        "notices handled within 24 h",
        "handles {v} more notices within 24 h",
        "handles {v} fewer notices within 24 h",
    ),
    "genuine_wrongly_removed": _rules(
        "genuine_wrongly_removed",
        "genuine listings wrongly removed",
        "wrongly removes {v} more genuine listings",
        "wrongly removes {v} fewer genuine listings",
    ),
    "wrongful_removal_days": _rules(
        "wrongful_removal_days",
        "wrongful removal (listing-days)",
        "keeps genuine listings down {v} listing-days longer",
        "keeps genuine listings down {v} listing-days less",
    ),
    "counter_notices": _rules(
        "counter_notices",
        "counter-notices",
        "draws {v} more counter-notices",
        "draws {v} fewer counter-notices",
    ),
    "restorations": _rules(
        "restorations", "restorations", "restores {v} more listings", "restores {v} fewer listings"
    ),
    "fake_listings_restored": _rules(
        "fake_listings_restored",
        "fakes put back up after a rejected notice",
        "puts {v} more fakes back up after rejected notices",
        "puts {v} fewer fakes back up after rejected notices",
    ),
    "am_utilization": _rules(
        "am_utilization",
        "account-manager utilisation",
        "keeps account managers {v} busier",
        "keeps account managers {v} less busy",
    ),
    "am_queue_wait_h_p50": _rules(
        "am_queue_wait_h_p50",
        "review queue wait, median",
        "makes notices wait {v} longer for review (median)",
        "makes notices wait {v} less for review (median)",
    ),
    "am_queue_wait_h_p95": _rules(
        "am_queue_wait_h_p95",
        "review queue wait, p95",
        "makes notices wait {v} longer for review (p95)",
        "makes notices wait {v} less for review (p95)",
    ),
    "am_busy_hours": _rules(
        "am_busy_hours",
        "account-manager hours",
        "costs {v} more account-manager hours",
        "saves {v} account-manager hours",
    ),
    "live_removed_before_first_sale_share": _rules(
        "live_removed_before_first_sale_share",
        "live fakes removed before a first sale (strict)",
        "removes {v} more of the live fakes it removes before a first sale",
        "removes {v} fewer of the live fakes it removes before a first sale",
    ),
    "notices_decided_within_24h_share": _rules(
        "notices_decided_within_24h_share",
        "notices decided within 24 h (strict)",
        "decides {v} more notices within 24 hours",
        "decides {v} fewer notices within 24 hours",
    ),
    "am_paid_hours": _rules(
        "am_paid_hours",
        "account-manager hours paid",
        "pays for {v} more account-manager hours",
        "pays for {v} fewer account-manager hours",
    ),
    "am_utilization_pool": _rules(
        "am_utilization_pool",
        "pool utilisation",
        "keeps the shared pool {v} busier",
        "keeps the shared pool {v} less busy",
    ),
    "am_utilization_dedicated_mean": _rules(
        "am_utilization_dedicated_mean",
        "dedicated desks' utilisation, mean",
        "keeps dedicated desks {v} busier on average",
        "keeps dedicated desks {v} less busy on average",
    ),
    "am_utilization_dedicated_max": _rules(
        "am_utilization_dedicated_max",
        "busiest dedicated desk's utilisation",
        "keeps the busiest dedicated desk {v} busier",
        "keeps the busiest dedicated desk {v} less busy",
    ),
    "cost_platform_usd": _rules(
        "cost_platform_usd",
        "platform's enforcement cost",
        "costs the platform {v} more",
        "costs the platform {v} less",
    ),
    "cost_brands_usd": _rules(
        "cost_brands_usd",
        "brands' enforcement cost",
        "costs the brands {v} more",
        "costs the brands {v} less",
    ),
    "cost_total_usd": _rules(
        "cost_total_usd",
        "enforcement cost, all parties",
        "costs {v} more in all",
        "costs {v} less in all",
    ),
    "cost_per_fake_removed_usd": _rules(
        "cost_per_fake_removed_usd",
        "cost per fake removed",
        "costs {v} more per fake removed",
        "costs {v} less per fake removed",
    ),
    "accounts_banned": _rules(
        "accounts_banned", "accounts banned", "bans {v} more accounts", "bans {v} fewer accounts"
    ),
    "counterfeiters_active_end": _rules(
        "counterfeiters_active_end",
        "counterfeiters active at the end",
        "ends with {v} more active counterfeiters",
        "ends with {v} fewer active counterfeiters",
    ),
    "relists": _rules("relists", "relists", "sees {v} more relists", "sees {v} fewer relists"),
}


WORDING.update(harm_wording(_rules))
WORDING.update({row[0]: _rules(*row) for row in NOTIFIER_WORDING + RESPONSE_WORDING})
WORDING.update({row[0]: _rules(*row) for row in SELLER_WORDING})
