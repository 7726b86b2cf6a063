"""TensorBoard's own HTTP API over a folder of event files, in-process (no server, no browser)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tensorboard import default, program
from tensorboard.backend import application
from werkzeug.test import Client

SUCCESS = ["STATUS_SUCCESS"]


def tensorboard_client(logdir: Path) -> Client:
    """A test client of the WSGI app `tensorboard --logdir <logdir>` serves, loaded once."""
    board = program.TensorBoard(plugins=default.get_plugins())
    board.configure(
        argv=["", "--logdir", str(logdir), "--load_fast", "false"],
        reload_interval=0,  # read every event file once, now
        reload_task="blocking",
    )
    provider, multiplexer = board._make_data_provider()  # what board.main() serves
    app = application.TensorBoardWSGIApp(
        board.flags, board.plugin_loaders, provider, board.assets_zip_provider, multiplexer
    )
    return Client(app)


def hparams_experiment(client: Client) -> dict[str, Any]:
    """POST /data/plugin/hparams/experiment: the HPARAMS columns (hparamInfos, metricInfos)."""
    response = client.post("/data/plugin/hparams/experiment", json={"experimentName": ""})
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data())


def hparams_session_groups(client: Client) -> list[dict[str, Any]]:
    """POST /data/plugin/hparams/session_groups: the HPARAMS rows, as the dashboard asks."""
    request = {
        "experimentName": "",
        "allowedStatuses": SUCCESS,
        "colParams": [],
        "startIndex": 0,
        "sliceSize": 1000,
    }
    response = client.post("/data/plugin/hparams/session_groups", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data()).get("sessionGroups", [])
