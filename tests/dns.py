"""DNS answers the vetting of tenants' addresses must refuse (with the `fake_dns` fixture)."""

from __future__ import annotations

import pytest

# (the host's answers, the address named in the refusal)
PRIVATE_ANSWERS = pytest.mark.parametrize(
    ("answers", "refused"),
    [
        (["127.0.0.1"], "127.0.0.1"),
        (["10.0.0.5"], "10.0.0.5"),
        (["169.254.169.254"], "169.254.169.254"),  # the cloud metadata service
        (["100.100.100.200"], "100.100.100.200"),
        (["fd00::5"], "fd00::5"),
        (["::ffff:127.0.0.1"], "::ffff:127.0.0.1"),
        # Any private answer refuses the name, as at delivery, even after a public one.
        (["93.184.215.14", "192.168.1.10"], "192.168.1.10"),
    ],
)
