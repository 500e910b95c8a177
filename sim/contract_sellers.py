"""The metrics of the sellers' misuse policy (DSA Art. 23(1), ``[seller_misuse]``), as rows
of ``sim.contract.Metric`` (name, unit, higher is better, definition); computed in
``sim.seller_misuse``. Each is 0 when the policy is off."""

from __future__ import annotations

_NEITHER = None
_LOWER = False

_WARNINGS = (
    "Art. 23 warnings issued in the window to {who} with at least "
    "seller_misuse.removals_threshold listings removed as illegal in the policy's window."
)
_SUSPENDED = (
    "Distinct {who} suspended under the Art. 23 policy by suspensions that started in the "
    "window (one suspended twice counts once; {detail})."
)
_DAYS = (
    "Days of Art. 23 suspension {who} served inside the window, summed over suspensions "
    "(cut at the horizon, and at a ban that ended one early); {effect}."
)

SELLER_METRICS: tuple[tuple[str, str, bool | None, str], ...] = (
    ("seller_warnings", "count", _NEITHER, _WARNINGS.format(who="counterfeit accounts")),
    (
        "sellers_suspended",
        "count",
        _NEITHER,
        _SUSPENDED.format(
            who="counterfeit accounts",
            detail="a banned counterfeiter's new account is a new one",
        ),
    ),
    (
        "seller_suspension_days",
        "count",
        _NEITHER,
        _DAYS.format(
            who="counterfeit accounts",
            effect="their listings are hidden and they post nothing meanwhile",
        ),
    ),
    (
        "legit_seller_warnings",
        "count",
        _LOWER,
        _WARNINGS.format(who="honest sellers (for wrongful removals that stood)"),
    ),
    (
        "legit_sellers_suspended",
        "count",
        _LOWER,
        _SUSPENDED.format(who="honest sellers", detail="the harm side of the policy"),
    ),
    (
        "legit_seller_suspension_days",
        "count",
        _LOWER,
        _DAYS.format(
            who="honest sellers",
            effect="the sales they lost meanwhile are in legit_sales_lost_usd",
        ),
    ),
)
