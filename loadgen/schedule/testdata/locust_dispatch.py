# Prints how Locust's own UsersDispatcher spreads users over weighted user
# classes and workers, for the comparison in classes_test.go. Its argument
# is a JSON list of cases, {"classes": [[name, weight], ...], "workers": n,
# "users": n}; it prints a JSON list of {worker: {class: users}}.
import json
import sys

from locust import User
from locust.dispatch import UsersDispatcher
from locust.runners import WorkerNode

out = []
for case in json.loads(sys.argv[1]):
    classes = [type(name, (User,), {"weight": w}) for name, w in case["classes"]]
    workers = [WorkerNode(str(i)) for i in range(case["workers"])]
    dispatcher = UsersDispatcher(worker_nodes=workers, user_classes=classes)
    dispatcher.new_dispatch(target_user_count=case["users"], spawn_rate=1e9)
    dist = None
    for dist in dispatcher:
        pass
    out.append(dist)
print(json.dumps(out))
