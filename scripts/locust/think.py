"""Locust FastHttpUser that thinks 2 s between requests to GET /albums/1:
the user side of make bench's many-users comparison. When Locust quits it
prints one line for the bench to read:

    LOCUST requests=N errors=N
"""
from locust import FastHttpUser, constant, events, task

_env = {}


@events.init.add_listener
def _keep(environment, **_kwargs):
    _env["environment"] = environment


@events.quit.add_listener
def _report(exit_code, **_kwargs):
    env = _env.get("environment")
    if env is None or env.stats is None:
        return
    total = env.stats.total
    print("LOCUST requests=%d errors=%d" % (total.num_requests, total.num_failures), flush=True)


class Thinker(FastHttpUser):
    wait_time = constant(2)

    @task
    def get_album(self):
        self.client.get("/albums/1", name="/albums/{id}")
