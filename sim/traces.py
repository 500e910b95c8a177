"""Per-row traces of one run: the notice trace (one row per notice, filled in as notices
are decided and acted on) and the optional event log (listings, accounts, notices and
notifiers).
"""

from __future__ import annotations

import numpy as np

from sim.types import FloatArray, IntArray


class NoticeLog:
    """The notice trace, one row per notice (growable numpy columns), filled in as notices
    are decided and acted on. The notice id is its row."""

    CHANNELS = (
        "notice_and_takedown",
        "good_faith",
        "joint_force",
        "project_zero",
        "trusted_flagger",
    )
    OUTCOMES = ("open", "actioned", "decided", "audited")

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {
            "t_h": np.zeros(capacity),
            "brand_id": np.zeros(capacity, dtype=np.int64),
            "listings": np.zeros(capacity, dtype=np.int64),
            "valid": np.zeros(capacity, dtype=bool),
            "channel": np.zeros(capacity, dtype=np.int8),
            "decided_at_h": np.full(capacity, np.nan),
            "removed_at_h": np.full(capacity, np.nan),
            "listings_removed": np.zeros(capacity, dtype=np.int64),
            "notifier_id": np.zeros(capacity, dtype=np.int64),
            "outcome": np.zeros(capacity, dtype=np.int8),
            "upheld": np.zeros(capacity, dtype=bool),
        }

    def __len__(self) -> int:
        return self.n

    def file(self, t_h: float, brand: int, listings: int, valid: bool, channel: str) -> int:
        """Record a filed notice (by the brand itself); returns its id (its row)."""
        return self.file_many(t_h, [brand], [listings], valid, [channel])[0]

    def file_many(
        self,
        t_h: float,
        brands: list[int],
        listings: list[int],
        valid: bool,
        channels: list[str],
        notifiers: list[int] | None = None,
    ) -> range:
        """Record notices filed together at ``t_h`` (by ``notifiers``, else by their
        brands); returns their ids (rows)."""
        k = len(brands)
        while self.n + k > len(self.cols["t_h"]):
            self._grow()
        rows = slice(self.n, self.n + k)
        c = self.cols
        c["t_h"][rows], c["brand_id"][rows], c["listings"][rows] = t_h, brands, listings
        c["valid"][rows] = valid
        c["channel"][rows] = [self.CHANNELS.index(name) for name in channels]
        c["notifier_id"][rows] = brands if notifiers is None else notifiers
        self.n += k
        return range(rows.start, rows.stop)

    def decided(
        self, notice_id: int, t_h: float, approved: bool = False, audit: bool = False
    ) -> None:
        """A review (an audit, for a sampled self-service notice) decided the notice."""
        self.cols["decided_at_h"][notice_id] = t_h
        self.cols["outcome"][notice_id] = self.OUTCOMES.index("audited" if audit else "decided")
        self.cols["upheld"][notice_id] = approved

    def actioned(self, notice_id: int) -> None:
        """A self-service notice not sampled for an audit: final on filing, never reviewed."""
        self.cols["outcome"][notice_id] = self.OUTCOMES.index("actioned")

    def upheld(self, notice_id: int) -> None:
        """A complaint against the notice's rejection was upheld."""
        self.cols["upheld"][notice_id] = True

    def removed(self, notice_id: int, t_h: float, count: int) -> None:
        """``count`` of the notice's listings were removed at ``t_h`` (first time kept)."""
        self.removed_many([notice_id], np.array([t_h]), np.array([count]))

    def removed_many(self, notice_ids: list[int], t_h: np.ndarray, counts: np.ndarray) -> None:
        """``removed`` for several distinct notices at once."""
        got = counts > 0
        if not got.any():
            return
        rows = np.asarray(notice_ids, dtype=np.int64)[got]
        at = self.cols["removed_at_h"]
        at[rows] = np.where(np.isnan(at[rows]), t_h[got], at[rows])
        self.cols["listings_removed"][rows] += counts[got]

    def _grow(self) -> None:
        for name, arr in self.cols.items():
            fill = np.nan if arr.dtype.kind == "f" and name != "t_h" else 0
            grown = np.full(2 * len(arr), fill, dtype=arr.dtype)
            grown[: self.n] = arr[: self.n]
            self.cols[name] = grown

    def table(self) -> dict[str, np.ndarray]:
        out = {name: arr[: self.n].copy() for name, arr in self.cols.items()}
        out["channel"] = np.asarray(self.CHANNELS, dtype=object)[out["channel"]]
        out["outcome"] = np.asarray(self.OUTCOMES, dtype=object)[out["outcome"]]
        return out


# what each kind of event records: ``listing_id`` (-1 for events of an account, a notice
# or a notifier), ``account_id`` (a fake's seller; -1 where none), ``notice_id`` (-1 where
# none), ``price_usd`` (the genuine price, NaN where not drawn), ``channel`` (a label) and
# ``notifier_id`` (who filed the notice, for events of notices; the notifier, for events
# of notifiers; -1 otherwise). Events of notifiers have fake False and brand_id -1.
EVENT_KINDS: dict[str, str] = {
    "posted": "a fake posted, channel new or relist (price only for those that went live)",
    "blocked_at_upload": "a fake caught by the upload check, never on show",
    "went_live": "a fake passed the upload check and went on show",
    "first_sale": "a fake's first sale (once per listing, at the time it happened)",
    "sold": "a unit of a fake sold in the window; channel deceived or aware (the buyer), "
    "price_usd: the price paid",
    "sale_lost": "a genuine unit not sold while the listing was down, recorded when the "
    "spell is folded; channel removed, block, suspension or ban; price_usd: the genuine price",
    "noticed": "a listing named in a notice (notice_id; notifier_id: who filed it); channel: "
    "its route",
    "decided": "a notice decided (listing_id -1; notifier_id: who filed it); channel approved "
    "or rejected",
    "audited": "a remove-first notice sampled for an audit decided (listing_id -1, beside "
    "its decided row); channel upheld or reversed (its listings restored)",
    "complained": "a notifier complained about a decision on its notice (DSA Art. 20; "
    "listing_id -1); channel rejection (of a review-first notice) or audit_reversal",
    "complaint_decided": "a notifier's complaint decided by a second review (listing_id -1); "
    "channel upheld (the notice's listings come down) or rejected",
    "removed_again": "a listing a notice took down again, its audit reversal overturned by an "
    "upheld complaint (notice_id; beside the listing's removed row)",
    "notifier_warned": "a notifier (notifier_id; listing_id and brand_id -1, fake False) "
    "warned under the misuse policy (DSA Art. 23); channel misuse",
    "notifier_suspended": "a notifier suspended under the misuse policy; channel misuse",
    "notifier_suspension_ended": "a notifier's suspension over (logged when it starts; only "
    "ends by the horizon); channel misuse",
    "self_service": "a Project Zero member's self-service removal (notifier_id) lost or "
    "regained; channel lost or regained",
    "removed": "a listing taken down; channel: how (proactive, notice, lead, ban, seller)",
    "hidden": "a fake taken off show by its account's block or Art. 23 suspension (channel "
    "block or suspension), for its length",
    "restored": "a listing back up after a rejected notice or an upheld counter-notice",
    "counter_notice": "a seller counter-notified the wrongful removal of a genuine listing",
    "counter_decided": "a counter-notice decided; channel upheld (the removal stands), "
    "restored, or not_restored (accepted, but the seller had been banned)",
    "struck": "an account took a strike (listing_id -1); channel: the rung it reached; fake "
    "False: an honest seller's (account_id: the seller)",
    "banned": "an account banned (listing_id -1); fake False: an honest seller's",
    "seller_warned": "a seller warned under the Art. 23 misuse policy (listing_id -1; "
    "account_id: the seller; fake False: an honest seller)",
    "seller_suspended": "a seller suspended under the Art. 23 misuse policy, as warned",
    "seller_suspension_ended": "a seller's Art. 23 suspension over; channel served, or ban (a "
    "ban ended it early)",
}


class EventLog:
    """Optional event log of a run: every listing's story and its accounts' and notices'
    steps (``EVENT_KINDS``), kept as array chunks and sorted by time at the end."""

    COLUMNS = (
        "t_h",
        "kind",
        "listing_id",
        "brand_id",
        "fake",
        "channel",
        "account_id",
        "notice_id",
        "price_usd",
        "notifier_id",
    )

    def __init__(self) -> None:
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(
        self,
        kind: str,
        t_h: FloatArray | float,
        ids: IntArray,
        brand: IntArray | int,
        fake: bool,
        channel: str | np.ndarray,
        *,
        account: IntArray | int = -1,
        notice: IntArray | int = -1,
        price_usd: FloatArray | float = np.nan,
        notifier: IntArray | int = -1,
    ) -> None:
        """Events of one kind for the listings ``ids`` (the other columns broadcast)."""
        k = len(ids)
        if k == 0:
            return

        def full(value: object, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=dtype), (k,)).copy()

        self.chunks.append(
            {
                "t_h": full(t_h, np.float64),
                "kind": np.full(k, kind, dtype=object),
                "listing_id": np.asarray(ids, dtype=np.int64),
                "brand_id": full(brand, np.int64),
                "fake": np.full(k, fake),
                "channel": full(channel, object),
                "account_id": full(account, np.int64),
                "notice_id": full(notice, np.int64),
                "price_usd": full(price_usd, np.float64),
                "notifier_id": full(notifier, np.int64),
            }
        )

    def add_accounts(self, kind: str, t_h: FloatArray, accounts: IntArray, channel: object) -> None:
        """Events of accounts (strikes, bans): no listing, no brand."""
        none = np.full(len(accounts), -1, dtype=np.int64)
        self.add(kind, t_h, none, none, True, np.asarray(channel, dtype=object), account=accounts)

    def add_notifiers(
        self, kind: str, t_h: FloatArray | float, notifiers: IntArray, channel: str
    ) -> None:
        """Events of notifiers (warnings, suspensions, self-service): no listing, no brand."""
        none = np.full(len(notifiers), -1, dtype=np.int64)
        self.add(kind, t_h, none, none, False, channel, notifier=notifiers)

    def table(self) -> dict[str, np.ndarray]:
        """Every event in time order (ties in the order recorded); a listing's first
        sale appears once, though a restored listing may report it again."""
        if not self.chunks:
            return {
                "t_h": np.empty(0),
                "kind": np.empty(0, dtype=object),
                "listing_id": np.empty(0, dtype=np.int64),
                "brand_id": np.empty(0, dtype=np.int64),
                "fake": np.empty(0, dtype=bool),
                "channel": np.empty(0, dtype=object),
                "account_id": np.empty(0, dtype=np.int64),
                "notice_id": np.empty(0, dtype=np.int64),
                "price_usd": np.empty(0),
                "notifier_id": np.empty(0, dtype=np.int64),
            }
        out = {c: np.concatenate([ch[c] for ch in self.chunks]) for c in self.COLUMNS}
        sale = np.flatnonzero(out["kind"] == "first_sale")
        _, first = np.unique(out["listing_id"][sale], return_index=True)
        keep = np.ones(len(out["t_h"]), dtype=bool)
        keep[sale] = False
        keep[sale[first]] = True
        order = np.flatnonzero(keep)[np.argsort(out["t_h"][keep], kind="stable")]
        return {c: v[order] for c, v in out.items()}
