"""The job function a stock `rq worker` runs in the end-to-end tests: records its arguments."""
import json
import os
import uuid


def record_webhook(payload, headers):
    out_dir = os.environ["WG_RQ_OUT"]
    if isinstance(payload, bytes):
        payload = {"__bytes__": payload.decode("latin-1")}
    with open(os.path.join(out_dir, uuid.uuid4().hex + ".json"), "w") as f:
        json.dump({"payload": payload, "headers": headers}, f)
    return {"ok": True}
