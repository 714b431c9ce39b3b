# The contract test's workload for real Locust; albums.yaml is the same
# workload for loadgen.
from locust import HttpUser, constant, task


class AlbumsUser(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def list_albums(self):
        self.client.get("/albums")

    @task(1)
    def add_album(self):
        self.client.post("/albums", json={"title": "t", "artist": "a", "price": 1.5})

    @task(1)
    def missing(self):
        self.client.get("/missing")
