"""The Locust users, one class per role, each waiting for its role's arrivals.

``loadtest/locustfile.py`` imports them at its top level, where Locust finds them.
Each user takes the next arrival of its role from the harness (``environment.td``)
and performs it; a class's user count is the profile's pool of its role.
"""

from __future__ import annotations

from locust import FastHttpUser, constant, task

from loadtest.harness import Harness
from loadtest.roles import Actor, perform


class RoleUser(FastHttpUser):
    """A user of one role: takes the next arrival of its role and performs it."""

    abstract = True
    role = ""
    wait_time = constant(0)
    concurrency = 4

    def on_start(self) -> None:

        harness: Harness = self.environment.td
        client = harness.api_client(self.client, harness.role_record(self.role))
        self.actor = Actor(client, harness.user_rng(self.role), harness)

    @task
    def serve(self) -> None:
        """Perform arrivals as they come, in one task: Locust's own round per task (its
        task pick and a zero wait, a trip through the event loop) is not repeated for
        each arrival."""
        harness: Harness = self.environment.td
        take, record = harness.slots[self.role].take, harness.recorder.record
        while True:
            arrival = take()
            if arrival is None:
                return  # stopping: nothing more will arrive
            record("arrivals.start_lag", perform(self.actor, self.role, arrival))


class RightsHolderUser(RoleUser):
    """Brands: file notices, read them back, message their account manager."""

    role = "rights_holder"


class AccountManagerUser(RoleUser):
    """Account managers: claim review items and decide them."""

    role = "account_manager"


class ShopperUser(RoleUser):
    """Shoppers: browse, search and view listings (the read load)."""

    role = "shopper"


class SellerUser(RoleUser):
    """Sellers: new listings and counter-notices."""

    role = "seller"


USER_CLASSES: dict[str, type[RoleUser]] = {
    cls.role: cls for cls in (RightsHolderUser, AccountManagerUser, ShopperUser, SellerUser)
}


def roles_of(counts: dict[str, int]) -> dict[str, int]:
    """Users per role from Locust's users per class name."""
    by_name = {cls.__name__: role for role, cls in USER_CLASSES.items()}
    return {by_name[name]: int(n) for name, n in counts.items() if name in by_name}
