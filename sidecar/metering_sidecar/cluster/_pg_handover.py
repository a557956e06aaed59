"""Hand-over: members' contributions inserted into the shared ledger, and the cluster's verdicts on them.

A contribution is stored once under the name it was first handed over as; billed ones offered again to a
lost ledger are kept apart (``ms_settled``), only to rebuild their own window identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from metering_sidecar.cluster._pg_session import Sessions
from metering_sidecar.store import Contribution, Contributor, Handed


@dataclass
class Verdicts:
    """What the ledger says about handed records."""

    settled: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, state, detail, message
    missing: list[int] = field(default_factory=list)  # handed, but the ledger does not hold them
    found: list[tuple[int, Contributor]] = field(default_factory=list)  # old records: who they are under


class HandOver:
    """Stores contributions and reads verdicts, on the flusher's session."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def hand_over(
        self, contributions: Sequence[Contribution], contributor: Contributor
    ) -> tuple[list[int], list[int]]:
        """Insert contributions idempotently; return (record ids now handed, ids whose stored content differs).

        A record handed over before keeps the name it was handed over as (another --instance-id, before a
        rename): offered again under that name it is the same contribution, never a second one.
        """
        fresh = [c for c in contributions if not c.settled]
        settled = [c for c in contributions if c.settled]

        def columns(items: Sequence[Contribution]) -> list[list[Any]]:
            return [
                [(c.original or contributor)[0] for c in items], [(c.original or contributor)[1] for c in items],
                [c.product for c in items], [c.license_arn for c in items], [c.customer_field for c in items],
                [c.customer for c in items], [c.dimension for c in items], [c.window_start for c in items],
                [c.quantity for c in items], [c.first_event_ms for c in items], [c.event_count for c in items],
                [c.request_json for c in items], [c.digest for c in items],
            ]  # fmt: skip

        names = ("instance_id, incarnation, product, license_arn, customer_field, customer, dimension, window_start, "
                 "quantity, first_event_ms, event_count, request_json, content_sha256")  # fmt: skip
        unnest = (
            "unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], "
            f"%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[]{{extra}}) AS u({names}{{extra_names}})"
        )  # fmt: skip
        values = ", ".join(f"u.{n}" for n in names.split(", "))
        same_key = " AND ".join(f"c.{n} = u.{n}" for n in names.split(", ")[:8])

        async def run(conn: psycopg.AsyncConnection[Any]) -> tuple[list[int], list[int]]:
            handed: list[int] = [c.record_id for c in settled]
            conflicting: list[int] = []
            async with conn.transaction():
                if fresh:
                    await conn.execute(
                        f"INSERT INTO ms_contributions ({names}, reoffered) SELECT {values}, u.reoffered "
                        f"FROM {unnest.format(extra=', %s::boolean[]', extra_names=', reoffered')} ON CONFLICT DO NOTHING",
                        (*columns(fresh), [c.reoffered for c in fresh]),
                    )  # fmt: skip
                    rows = await (await conn.execute(
                        f"SELECT {', '.join('c.' + n for n in names.split(', ')[:8])}, c.content_sha256 FROM "
                        f"{unnest.format(extra='', extra_names='')} JOIN ms_contributions c ON {same_key}",
                        columns(fresh),
                    )).fetchall()  # fmt: skip
                    stored = {(str(r[0]), str(r[1]), *r[2:8]): r[8] for r in rows}
                    for c in fresh:
                        found = stored.get((*(c.original or contributor), *c.key))
                        (handed if found == c.digest else conflicting).append(c.record_id)
                if settled:
                    # Billed already: kept apart, only to rebuild their own window identically. Not when the
                    # ledger still holds the original contribution (then the window is not lost).
                    await conn.execute(
                        f"INSERT INTO ms_settled ({names}) SELECT {values} FROM {unnest.format(extra='', extra_names='')} "
                        f"WHERE NOT EXISTS (SELECT 1 FROM ms_contributions c WHERE {same_key}) ON CONFLICT DO NOTHING",
                        columns(settled),
                    )  # fmt: skip
            return handed, conflicting

        return await self._sessions.run(run)

    async def verdicts(self, handed: Sequence[Handed]) -> Verdicts:
        """Return the cluster's verdicts on handed records, and which of them the ledger does not hold."""
        out = Verdicts()
        if not handed:
            return out

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[Any]:
            rows = await (await conn.execute(
                "SELECT u.rid, c.instance_id, c.incarnation, r.state, r.metering_record_id, r.reason, r.message "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
                "%s::text[], %s::bigint[], %s::text[]) AS u(rid, inst, inc, product, license_arn, customer_field, "
                "customer, dimension, window_start, digest) "
                "LEFT JOIN LATERAL (SELECT c.instance_id, c.incarnation, c.record_id FROM ms_contributions c "
                "WHERE c.product = u.product AND c.license_arn = u.license_arn AND c.customer_field = u.customer_field "
                "AND c.customer = u.customer AND c.dimension = u.dimension AND c.window_start = u.window_start AND "
                # A record handed before contributors were remembered is found by its content.
                "CASE WHEN u.inst IS NULL THEN c.incarnation = '' AND c.content_sha256 = u.digest "
                "ELSE c.instance_id = u.inst AND c.incarnation = u.inc END LIMIT 1) c ON true "
                "LEFT JOIN ms_records r ON r.id = c.record_id",
                (
                    [h.record_id for h in handed],
                    [h.contributor[0] if h.contributor else None for h in handed],
                    [h.contributor[1] if h.contributor else None for h in handed],
                    *([h.key[i] for h in handed] for i in range(6)),
                    [h.digest for h in handed],
                ),
            )).fetchall()  # fmt: skip
            return list(rows)

        legacy = {h.record_id for h in handed if h.contributor is None}
        for rid, instance, incarnation, state, metering_id, reason, message in await self._sessions.run(run):
            if instance is None:
                out.missing.append(int(rid))
                continue
            if int(rid) in legacy:
                out.found.append((int(rid), (str(instance), str(incarnation))))
            if state in ("billed", "dead"):
                detail = metering_id if state == "billed" else reason or ""
                out.settled.append((int(rid), str(state), str(detail or ""), str(message or "")))
        return out
