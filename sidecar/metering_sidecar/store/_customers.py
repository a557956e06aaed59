"""Customers from ResolveCustomer: stored durably, bound one-to-one to a tenant, kept by token hash.

The binding key is the license ARN, or the customer id when there is no license: under Concurrent
Agreements one AWS account can hold several licenses, each of which may belong to another tenant.
"""

from __future__ import annotations

from typing import Any

from metering_sidecar.core import Customer, Refused, ResolvedCustomer
from metering_sidecar.store._database import Database

_COLUMNS = (
    "id, customer_identifier, customer_aws_account_id, product_code, license_arn, tenant_id, "
    "first_resolved_ms, last_resolved_ms"
)


def binding_key(customer: ResolvedCustomer) -> str:
    """Return what a tenant binds to: the license, else the customer."""
    if customer.license_arn:
        return f"license:{customer.license_arn}"
    if customer.customer_aws_account_id:
        return f"account:{customer.product_code}:{customer.customer_aws_account_id}"
    return f"customer:{customer.product_code}:{customer.customer_identifier}"


def _customer(row: Any) -> Customer:
    return Customer(
        id=int(row[0]), customer_identifier=str(row[1]), customer_aws_account_id=str(row[2]),
        product_code=str(row[3]), license_arn=str(row[4]), tenant_id=str(row[5]),
        first_resolved_at=int(row[6]) / 1000, last_resolved_at=int(row[7]) / 1000,
    )  # fmt: skip


def _check_tenant(customer: Customer, tenant_id: str) -> None:
    if tenant_id and customer.tenant_id and customer.tenant_id != tenant_id:
        what = f"license {customer.license_arn}" if customer.license_arn else "this customer"
        raise Refused(f"{what} is already bound to another tenant; nothing was changed")


class Customers:
    """Customer bindings and the token-hash cache (onboarding sees it as a CustomerRegistry)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def customer_for_token(self, token_sha256: str) -> Customer | None:
        """Return the customer a token resolved to before, if any."""
        rows = list(
            await self._database.conn.execute_fetchall(
                f"SELECT {', '.join('c.' + c for c in _COLUMNS.split(', '))} FROM registration_tokens t "
                "JOIN customers c ON c.id = t.customer_id WHERE t.token_sha256 = ?",
                (token_sha256,),
            )
        )
        return _customer(rows[0]) if rows else None

    async def bind_customer(
        self, resolved: ResolvedCustomer | None, token_sha256: str, tenant_id: str, now: float,
        *, known: Customer | None = None,
    ) -> tuple[Customer, bool]:  # fmt: skip
        """Store or refresh a customer and its tenant binding; raise Refused on another tenant's customer."""
        now_ms = int(now * 1000)
        async with self._database.write_lock, self._database.transaction():
            if known is None:
                assert resolved is not None
                key = binding_key(resolved)
                rows = list(
                    await self._database.conn.execute_fetchall(
                        f"SELECT {_COLUMNS} FROM customers WHERE binding_key = ?", (key,)
                    )
                )
            else:
                rows = list(
                    await self._database.conn.execute_fetchall(
                        f"SELECT {_COLUMNS} FROM customers WHERE id = ?", (known.id,)
                    )
                )
            if rows:
                existing = _customer(rows[0])
                _check_tenant(existing, tenant_id)
                await self._database.conn.execute(
                    "UPDATE customers SET last_resolved_ms = ?, tenant_id = CASE WHEN tenant_id = '' THEN ? "
                    "ELSE tenant_id END WHERE id = ?",
                    (now_ms, tenant_id, existing.id),
                )
                customer_id, new = existing.id, False
            else:
                assert resolved is not None
                cursor = await self._database.conn.execute(
                    "INSERT INTO customers (binding_key, customer_identifier, customer_aws_account_id, product_code, "
                    "license_arn, tenant_id, first_resolved_ms, last_resolved_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (binding_key(resolved), resolved.customer_identifier, resolved.customer_aws_account_id,
                     resolved.product_code, resolved.license_arn, tenant_id, now_ms, now_ms),
                )  # fmt: skip
                customer_id, new = int(cursor.lastrowid or 0), True
            await self._database.conn.execute(
                "INSERT INTO registration_tokens (token_sha256, customer_id, resolved_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (token_sha256) DO NOTHING",
                (token_sha256, customer_id, now_ms),
            )
            rows = list(
                await self._database.conn.execute_fetchall(
                    f"SELECT {_COLUMNS} FROM customers WHERE id = ?", (customer_id,)
                )
            )
        return _customer(rows[0]), new

    async def list_customers(self, *, after_id: int, limit: int) -> list[Customer]:
        """Return customers in resolution order after ``after_id``."""
        rows = await self._database.conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM customers WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
        return [_customer(r) for r in rows]
