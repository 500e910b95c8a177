"""Labels and phrases of the counterfeiters' response metrics (profit, entry and exit,
adaptation, displacement), as rows (metric, label, up, down) that
``reports.wording_table`` turns into its entries."""

from __future__ import annotations

RESPONSE_WORDING: tuple[tuple[str, str, str, str], ...] = (
    (
        "counterfeiter_profit_usd",
        "counterfeiters' profit",
        "leaves counterfeiters {v} more profit",
        "takes {v} of profit from counterfeiters",
    ),
    (
        "counterfeiter_entries",
        "counterfeiters entering",
        "draws {v} more counterfeiters in",
        "deters {v} counterfeiters from entering",
    ),
    (
        "counterfeiter_exits",
        "counterfeiters leaving",
        "drives {v} more counterfeiters out",
        "drives {v} fewer counterfeiters out",
    ),
    (
        "operators_top3pct_share",
        "share of fakes from the top 3% of operators",
        "concentrates {v} more of the fakes in the top 3% of operators",
        "spreads {v} of the fakes away from the top 3% of operators",
    ),
    (
        "mean_obfuscation_end",
        "counterfeiters' obfuscation at the end",
        "leaves counterfeiters {v} more obfuscated",
        "leaves counterfeiters {v} less obfuscated",
    ),
    (
        "fake_listings_created_standard",
        "fake listings created, standard brands",
        "sees {v} more fakes listed on standard brands",
        "sees {v} fewer fakes listed on standard brands",
    ),
    (
        "fake_listings_created_good_faith",
        "fake listings created, good faith brands",
        "sees {v} more fakes listed on good faith brands",
        "sees {v} fewer fakes listed on good faith brands",
    ),
    (
        "fake_listings_created_joint_force",
        "fake listings created, joint force brands",
        "sees {v} more fakes listed on joint force brands",
        "sees {v} fewer fakes listed on joint force brands",
    ),
    (
        "fake_listings_created_project_zero",
        "fake listings created, project zero brands",
        "sees {v} more fakes listed on project zero brands",
        "sees {v} fewer fakes listed on project zero brands",
    ),
    (
        "fake_listings_created_trusted_flagger",
        "fake listings created, trusted flagger brands",
        "sees {v} more fakes listed on trusted flagger brands",
        "sees {v} fewer fakes listed on trusted flagger brands",
    ),
    (
        "displaced_to_outside",
        "fakes displaced to the outside market",
        "pushes {v} more fakes off the marketplace",
        "pushes {v} fewer fakes off the marketplace",
    ),
)
