"""Demo data for the real Xi'an District: ``generate`` a plan, then ``write`` it.

:func:`generate` (pure, deterministic for seed, scale and reference date) lays out the real
streets, town, communities and villages from the NBS list, adds generated grids, buildings,
households, persons with tags, and community staff. :func:`write` stores the plan in one
transaction, encrypting ID and phone numbers, and creates the demo log-ins.
"""

from shequ.registry.demo.generate import DEMO_AS_OF, generate
from shequ.registry.demo.plan import DemoPlan
from shequ.registry.demo.write import (
    DEMO_PASSWORD,
    DEMO_USERS,
    DemoError,
    WriteResult,
    demo_present,
    ensure_field_key,
    reset,
    write,
)

__all__ = [
    "DEMO_AS_OF",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "DemoError",
    "DemoPlan",
    "WriteResult",
    "demo_present",
    "ensure_field_key",
    "generate",
    "reset",
    "write",
]
