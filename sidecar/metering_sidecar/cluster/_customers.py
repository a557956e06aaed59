"""Cluster mode's customer bindings: the same rules as the local store, in the shared PostgreSQL, so a
license bound to a tenant through one replica is bound for all of them."""

from __future__ import annotations

from typing import Any

import psycopg

from metering_sidecar.cluster._ledger import PostgresLedger
from metering_sidecar.core import Customer, Refused, ResolvedCustomer
from metering_sidecar.store import binding_key

_COLUMNS = ("id, customer_identifier, customer_aws_account_id, product_code, license_arn, tenant_id, "
            "first_resolved_s, last_resolved_s")  # fmt: skip


def _customer(row: Any) -> Customer:
    return Customer(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]), float(row[6]),
                    float(row[7]))  # fmt: skip


class ClusterCustomers:
    """The customer registry in PostgreSQL (same methods as the Store's)."""

    def __init__(self, ledger: PostgresLedger) -> None:
        self.ledger = ledger

    async def _run(self, work: Any) -> Any:
        # The ledger creates the tables with its schema; RPCs use their own connection and deadline.
        return await self.ledger._run(work, rpc=True)

    async def customer_for_token(self, token_sha256: str) -> Customer | None:
        """Return the customer a token resolved to before, if any."""

        async def work(conn: psycopg.AsyncConnection[Any]) -> Customer | None:
            row = await (await conn.execute(
                f"SELECT {', '.join('c.' + c for c in _COLUMNS.split(', '))} FROM ms_registration_tokens t "
                "JOIN ms_customers c ON c.id = t.customer_id WHERE t.token_sha256 = %s", (token_sha256,),
            )).fetchone()  # fmt: skip
            return _customer(row) if row else None

        result: Customer | None = await self._run(work)
        return result

    async def bind_customer(
        self, resolved: ResolvedCustomer | None, token_sha256: str, tenant_id: str, now: float,
        *, known: Customer | None = None,
    ) -> tuple[Customer, bool]:  # fmt: skip
        """Store or refresh a customer and its tenant binding; raise Refused on another tenant's customer."""

        async def work(conn: psycopg.AsyncConnection[Any]) -> tuple[Customer, bool] | str:
            async with conn.transaction():
                new = False
                if known is None:
                    assert resolved is not None
                    inserted = await (await conn.execute(
                        "INSERT INTO ms_customers (binding_key, customer_identifier, customer_aws_account_id, "
                        "product_code, license_arn, tenant_id, first_resolved_s, last_resolved_s) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (binding_key) DO NOTHING RETURNING id",
                        (binding_key(resolved), resolved.customer_identifier, resolved.customer_aws_account_id,
                         resolved.product_code, resolved.license_arn, tenant_id, now, now),
                    )).fetchone()  # fmt: skip
                    new = inserted is not None
                    where, value = "binding_key = %s", binding_key(resolved)
                else:
                    where, value = "id = %s", str(known.id)
                row = await (await conn.execute(
                    f"SELECT {_COLUMNS} FROM ms_customers WHERE {where} FOR UPDATE", (value,)
                )).fetchone()  # fmt: skip
                assert row is not None
                existing = _customer(row)
                if tenant_id and existing.tenant_id and existing.tenant_id != tenant_id:
                    what = f"license {existing.license_arn}" if existing.license_arn else "this customer"
                    return f"{what} is already bound to another tenant; nothing was changed"
                await conn.execute(
                    "UPDATE ms_customers SET last_resolved_s = %s, tenant_id = CASE WHEN tenant_id = '' THEN %s "
                    "ELSE tenant_id END WHERE id = %s",
                    (now, tenant_id, existing.id),
                )
                await conn.execute(
                    "INSERT INTO ms_registration_tokens (token_sha256, customer_id, resolved_s) VALUES (%s, %s, %s) "
                    "ON CONFLICT (token_sha256) DO NOTHING",
                    (token_sha256, existing.id, now),
                )
                row = await (await conn.execute(f"SELECT {_COLUMNS} FROM ms_customers WHERE id = %s",
                                                (existing.id,))).fetchone()  # fmt: skip
                return _customer(row), new

        result = await self._run(work)
        if isinstance(result, str):
            raise Refused(result)
        answer: tuple[Customer, bool] = result
        return answer

    async def list_customers(self, *, after_id: int, limit: int) -> list[Customer]:
        """Return customers in resolution order after ``after_id``."""

        async def work(conn: psycopg.AsyncConnection[Any]) -> list[Customer]:
            rows = await (await conn.execute(
                f"SELECT {_COLUMNS} FROM ms_customers WHERE id > %s ORDER BY id LIMIT %s", (after_id, limit)
            )).fetchall()  # fmt: skip
            return [_customer(r) for r in rows]

        result: list[Customer] = await self._run(work)
        return result
