"""The embedded broker: kombu's filesystem transport, with each message written whole.

kombu creates a message's file in the queue folder and then writes it. A worker listing the
folder in between takes the file (a rename) and reads it empty; the JSONDecodeError stops the
worker, and with it `make run`, while the message is written into the file the worker already
removed. A backlog of emails once did this within a minute (python -m bench drain). Here a
message is written under a name no queue matches and renamed into place once complete: a rename
within a folder is atomic, so a worker sees either no message or all of it.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        # kombu's own name: the time first, so the worker takes messages in order.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        folder = self.data_folder_out
        # Listing the folder, kombu takes only names ending ".<queue>.msg".
        partial = os.path.join(folder, f"~{uuid.uuid4().hex}.partial")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(folder, name))
        except OSError as exc:
            try:
                os.remove(partial)
            except OSError:
                pass
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
