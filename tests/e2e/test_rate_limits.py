"""Against stand-ins that enforce rate limits (429 beyond them), Sinkron paced
within them is never answered 429; unpaced, it is (so these tests can fail),
and a run that is answered 429 still lands every record."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.models import RunStatus
from standins import ratelimit
from standins.dataset import EProgramDataset
from standins.generator import generate
from tests.e2e.conftest import TAHAP, TAHUN, World, make_world

SIZE = 300
# Well under Sinkron's unpaced speed here (about 10 requests/s to each API with
# small pages), so an unpaced run is sure to go over it.
TIGHT = 3.0


@pytest.fixture
def dataset(sample_items: list[dict[str, object]]) -> EProgramDataset:
    return generate(
        sample_items,
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
        size=SIZE,
        seed=11,
        untidy=False,
        problem_rate=0,
    )


def limited_world(
    sessions: sessionmaker[Session],
    database_url: str,
    dataset: EProgramDataset,
    limits: tuple[float, float],
    *,
    page_size: int,
) -> Iterator[World]:
    for world in make_world(sessions, database_url, dataset, rate_limits=limits):
        world.settings = world.settings.model_copy(
            update={"page_size": page_size, "push_batch_size": page_size}
        )
        yield world


def pace(world: World, eprogram: float, eplanning: float) -> None:
    world.settings = world.settings.model_copy(
        update={
            "eprogram_requests_per_second": eprogram,
            "eplanning_requests_per_second": eplanning,
        }
    )


def rate_limited(world: World) -> tuple[int, int]:
    """The 429s each stand-in answered."""
    return (
        world.eprogram_stats().get(ratelimit.RATE_LIMITED, 0),
        world.eplanning_stats().get(ratelimit.RATE_LIMITED, 0),
    )


def sync_all(world: World) -> None:
    summary = world.sync(full=True)

    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert summary.counts == {"created": SIZE}
    assert len(world.eplanning_records()) == SIZE


def default(name: str) -> float:
    value = Settings.model_fields[name].default
    assert isinstance(value, float)
    return value


def test_the_default_budget_stays_within_the_contracts_limits(
    session_factory: sessionmaker[Session], database_url: str, dataset: EProgramDataset
) -> None:
    limits = (ratelimit.EPROGRAM_PER_SECOND, ratelimit.EPLANNING_PER_SECOND)
    # 30 reads of E-Program and 30 batches: more than either stand-in's one-second burst.
    for world in limited_world(session_factory, database_url, dataset, limits, page_size=10):
        pace(
            world,
            default("eprogram_requests_per_second"),
            default("eplanning_requests_per_second"),
        )

        sync_all(world)

        assert rate_limited(world) == (0, 0)


@pytest.mark.parametrize("api", ["eprogram", "eplanning"])
def test_paced_within_a_limit_it_is_never_answered_429(
    session_factory: sessionmaker[Session],
    database_url: str,
    dataset: EProgramDataset,
    api: str,
) -> None:
    # One API limited at a time: a run backing off from one API's 429s slows
    # its requests to the other. 10 requests to it, against a limit of 3/s.
    limits = (TIGHT, None) if api == "eprogram" else (None, TIGHT)
    for world in limited_world(session_factory, database_url, dataset, limits, page_size=30):
        pace(world, *(limit or 0 for limit in limits))

        sync_all(world)

        assert rate_limited(world)[0 if api == "eprogram" else 1] == 0


@pytest.mark.parametrize("api", ["eprogram", "eplanning"])
def test_unpaced_it_is_answered_429_and_still_lands_everything(
    session_factory: sessionmaker[Session],
    database_url: str,
    dataset: EProgramDataset,
    api: str,
) -> None:
    """The control of the test above: without pacing the same limit is passed.

    It must not depend on how fast this machine is, so the run is made to send
    requests at the same moment: E-Program's next page is asked for while the
    page in hand is worked on, and one page goes to E-Planning as three batches
    at once. A limit of one request a second (a bucket of one) refuses the
    second of two requests sent together, however slowly the rest goes.
    """
    limits = (1.0, None) if api == "eprogram" else (None, 1.0)
    page_size = 100 if api == "eprogram" else SIZE
    for world in limited_world(session_factory, database_url, dataset, limits, page_size=page_size):
        world.settings = world.settings.model_copy(update={"push_batch_size": 100})
        pace(world, 0, 0)

        sync_all(world)

        assert rate_limited(world)[0 if api == "eprogram" else 1] > 0
