#!/usr/bin/env python3
"""Generate a synthetic Supabase-layout migration folder for the neonlint benchmark.

    python3 bench/gen_corpus.py OUT_DIR [--files 2000] [--seed 1] [--size-mb 24]

writes OUT_DIR/supabase/migrations/<YYYYMMDDHHMMSS>_<name>.sql. The output depends only on
the arguments (same seed, same bytes). The files imitate what Supabase, drizzle-kit and
Prisma projects accumulate: tables with row-level security and policies for the
`authenticated` role, grants, indexes, plpgsql functions and triggers, security_invoker
views, comments, later ALTERs of earlier tables, and multi-row seed INSERTs (about a third
of the bytes). Every file is valid PostgreSQL 15 when the folder is applied in order on a
database that has the role `authenticated` and a function `auth.user_id()` returning text;
`--pg-check` sets such a database up, applies the files with psql and drops it again.

Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid

import random

# ---------------------------------------------------------------------------------------
# Word lists

DOMAINS = [
    "billing", "crm", "team", "org", "project", "support", "content", "shop", "inventory",
    "hr", "finance", "marketing", "analytics", "event", "course", "clinic", "fleet",
    "booking", "media", "forum", "survey", "recipe", "travel", "legal", "sales", "ops",
    "lab", "school", "garden", "music",
]

NOUNS = [
    "account", "activity", "address", "agent", "alert", "answer", "appointment", "article",
    "asset", "attachment", "attendee", "badge", "batch", "board", "booking", "brand", "budget",
    "bundle", "campaign", "card", "cart", "category", "channel", "chapter", "checklist",
    "client", "collection", "comment", "company", "contact", "contract", "coupon", "credit",
    "customer", "dashboard", "deal", "delivery", "department", "device", "discount",
    "document", "draft", "employee", "entry", "estimate", "expense", "feedback", "file",
    "folder", "form", "goal", "grade", "guest", "holiday", "incident", "integration",
    "invoice", "issue", "item", "job", "journal", "label", "lead", "lesson", "license",
    "link", "listing", "location", "log", "meeting", "member", "membership", "message",
    "metric", "milestone", "module", "note", "notification", "offer", "opportunity",
    "package", "page", "partner", "payment", "payout", "period", "photo", "plan", "playlist",
    "post", "preference", "price", "product", "profile", "promotion", "property", "purchase",
    "question", "quote", "reaction", "receipt", "record", "refund", "region", "reminder",
    "report", "request", "reservation", "resource", "response", "review", "reward", "room",
    "route", "rule", "sample", "schedule", "score", "section", "segment", "session",
    "setting", "shift", "shipment", "skill", "slot", "snapshot", "source", "sprint", "stage",
    "step", "store", "submission", "subscription", "supplier", "tag", "target", "task",
    "template", "territory", "thread", "ticket", "timesheet", "topic", "track", "transaction",
    "trip", "unit", "upload", "vendor", "venue", "visit", "voucher", "warehouse", "webhook",
    "widget", "workflow", "workspace",
]

WORDS = [
    "alpha", "amber", "anchor", "apex", "arrow", "aspen", "atlas", "aurora", "beacon", "birch",
    "blue", "bold", "breeze", "bright", "canyon", "cedar", "cloud", "cobalt", "comet", "coral",
    "crest", "crystal", "dawn", "delta", "drift", "ember", "falcon", "fern", "field", "flint",
    "forest", "fox", "frost", "garnet", "glacier", "golden", "granite", "harbor", "hazel",
    "horizon", "indigo", "iron", "ivory", "jade", "juniper", "lake", "lantern", "lime",
    "linden", "lunar", "maple", "marble", "meadow", "mesa", "mint", "moss", "nova", "oak",
    "ocean", "olive", "onyx", "orbit", "pearl", "pine", "pixel", "plum", "prairie", "quartz",
    "raven", "reef", "ridge", "river", "rowan", "ruby", "sage", "sand", "shadow", "sierra",
    "silver", "slate", "solar", "spruce", "stone", "storm", "summit", "sun", "terra", "thunder",
    "tide", "timber", "topaz", "trail", "valley", "velvet", "violet", "willow", "wind", "zephyr",
]

PROSE = [
    "the", "a", "customer", "team", "order", "report", "will", "be", "is", "was", "for", "with",
    "after", "before", "each", "every", "new", "old", "default", "shared", "internal", "weekly",
    "monthly", "review", "update", "sync", "imported", "manual", "automatic", "pending",
    "approved", "requested", "delivered", "follow", "up", "on", "in", "by", "from", "to",
    "project", "invoice", "account", "feature", "request", "release", "notes", "draft",
    "final", "copy", "version", "support", "ticket", "priority", "customer's", "team's",
    "it's", "don't", "can't", "won't", "we'll", "they're", "budget", "quarter", "meeting",
    "agenda", "summary", "details", "contact", "address", "missing", "checked", "verified",
    "migrated", "legacy", "field", "value", "needs", "attention", "soon", "today", "later",
]

FIRST = [
    "Ada", "Alan", "Amara", "Ben", "Chen", "Chloe", "Dara", "Diego", "Elif", "Emma", "Farah",
    "Finn", "Grace", "Hana", "Ivan", "Jonas", "Kai", "Lena", "Liam", "Maya", "Mei", "Nia",
    "Noah", "Olga", "Omar", "Priya", "Rafael", "Rosa", "Sami", "Sofia", "Tariq", "Uma",
    "Victor", "Wen", "Yara", "Zoe",
]
LAST = [
    "Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Jensen", "Kowalski", "Larsen", "Mendes", "Nakamura", "O'Brien", "O'Neil", "D'Souza",
    "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Umar", "Varga", "Weber", "Xu", "Yilmaz",
    "Zhang", "D'Angelo", "McAllister",
]
EMAIL_DOMAINS = ["example.com", "example.org", "mail.test", "acme.io", "corp.example"]
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "ES", "IT", "NL", "SE"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "BRL", "INR", "CAD"]
LOCALES = ["en", "de", "fr", "es", "ja", "pt-BR", "it"]

STATUS_SETS = [
    ["draft", "active", "archived"],
    ["pending", "paid", "failed", "refunded"],
    ["open", "in_progress", "resolved", "closed"],
    ["new", "contacted", "qualified", "lost", "won"],
    ["scheduled", "confirmed", "cancelled", "completed"],
    ["queued", "running", "succeeded", "errored"],
]

RESERVED = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both",
    "case", "cast", "check", "collate", "column", "constraint", "create", "current_date",
    "current_role", "current_time", "current_timestamp", "current_user", "default",
    "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for",
    "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
    "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on",
    "only", "or", "order", "placing", "primary", "references", "returning", "select",
    "session_user", "some", "symmetric", "table", "then", "to", "trailing", "true", "union",
    "unique", "user", "using", "variadic", "when", "where", "window", "with",
}

SIMPLE_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
# Strings, quoted identifiers and comments keep their case when a file is written lowercase.
KEEP_CASE = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|/\*.*?\*/", re.S)


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lowercase_sql(sql: str) -> str:
    out, pos = [], 0
    for match in KEEP_CASE.finditer(sql):
        out.append(sql[pos:match.start()].lower())
        out.append(match.group())
        pos = match.end()
    out.append(sql[pos:].lower())
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Schema model


class Column:
    def __init__(self, name, kind, sqltype, *, nullable=True, default=None, check=None,
                 unique=False, choices=None, generated=False, insertable=True):
        self.name = name            # exact identifier, case-sensitive
        self.kind = kind            # value generator key
        self.sqltype = sqltype
        self.nullable = nullable
        self.default = default      # SQL text or None
        self.check = check          # template with {c} for the column's identifier
        self.unique = unique
        self.choices = choices      # allowed values for status-like columns
        self.generated = generated  # text after the type, e.g. "GENERATED ALWAYS AS (...) STORED"
        self.insertable = insertable
        self.fk = None              # referenced Table
        self.enum = None            # (schema, type name) when the type is an enum
        self.on_delete = None
        self.pk = False
        self.pinned = False         # used by a view, policy or index: never dropped
        self.added = False          # added by ALTER TABLE


class Table:
    def __init__(self, schema, name, singular, style):
        self.schema = schema
        self.name = name
        self.singular = singular    # snake_case, for FK column names
        self.style = style          # "snake" or "prisma"
        self.columns: list[Column] = []
        self.table_checks: list[tuple[str, str]] = []  # (name or "", expression template)
        self.pk: Column | None = None
        self.pk_kind = "uuid"
        self.owner: Column | None = None   # user_id / "userId"
        self.owned_parent: Column | None = None  # FK to an owned table, for EXISTS policies
        self.rls = False
        self.policies: list[str] = []
        self.triggers: list[str] = []
        self.constraints: list[str] = []
        self.seed_ids: list[str] = []
        self.rows = 0
        self.children = 0
        self.internal = False

    def col(self, kind):
        for column in self.columns:
            if column.kind == kind:
                return column
        return None

    def has(self, name):
        return any(column.name == name for column in self.columns)

    def label(self):
        return self.singular.replace("_", " ")


class FileCtx:
    """One migration file being written: its style and its text."""

    def __init__(self, gen, style):
        self.gen = gen
        self.style = style          # "supabase", "drizzle" or "prisma"
        rng = gen.rng
        self.lower = style == "supabase" and rng.random() < 0.65
        self.quote_all = style in ("drizzle", "prisma") or rng.random() < 0.1
        self.qualify = style == "supabase" and rng.random() < 0.85 or style == "drizzle" and rng.random() < 0.3
        self.align = style == "supabase" and rng.random() < 0.4
        self.indent = "\t" if style == "drizzle" else ("    " if style == "prisma" or rng.random() < 0.3 else "  ")
        self.parts: list[str] = []
        self.statements = 0

    def q(self, name):
        if self.quote_all or not SIMPLE_IDENT.fullmatch(name) or name in RESERVED:
            return '"' + name.replace('"', '""') + '"'
        return name

    def t(self, table: Table):
        if table.schema != "public" or self.qualify:
            return f"{self.q(table.schema)}.{self.q(table.name)}"
        return self.q(table.name)

    def fn(self, schema, name):
        return f"{schema}.{name}" if (schema != "public" or self.qualify) else name

    def stmt(self, sql):
        self.statements += 1
        if self.style == "drizzle":
            self.parts.append(sql.rstrip() + ";\n--> statement-breakpoint\n")
        else:
            self.parts.append(sql.rstrip() + ";\n\n" if self.gen.rng.random() < 0.8 else sql.rstrip() + ";\n")

    def comment(self, text):
        self.parts.append("".join(f"-- {line}\n" if line else "--\n" for line in text.split("\n")))

    def block_comment(self, text):
        self.parts.append("/*\n" + "".join(f" * {line}\n" for line in text.split("\n")) + " */\n")

    def text(self):
        body = "".join(self.parts).rstrip() + "\n"
        return lowercase_sql(body) if self.lower else body


# ---------------------------------------------------------------------------------------
# The generator


class Generator:
    def __init__(self, seed: int, files: int, target_bytes: int):
        self.rng = random.Random(seed)
        self.files = files
        self.target_bytes = target_bytes
        self.tables: list[Table] = []
        self.names: set[tuple[str, str]] = set()   # relation and type names, per schema
        self.functions: set[str] = set()
        self.user_ids = [self.user_id_value() for _ in range(250)]
        self.total_bytes = 0
        self.seed_bytes = 0
        self.statements = 0
        self.clock = dt.datetime(2023, 1, 9, 9, 12, 0)
        self.pending_types: list = []

    # -- small value helpers -----------------------------------------------------------

    def user_id_value(self):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "user_2" + "".join(self.rng.choice(alphabet) for _ in range(26))

    def uuid_value(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def cuid_value(self):
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "cl" + "".join(self.rng.choice(alphabet) for _ in range(23))

    def timestamp_value(self, tz=True, after=None):
        base = after or dt.datetime(2023, 1, 1)
        moment = base + dt.timedelta(seconds=self.rng.randrange(1, 730 * 86400))
        if not tz:
            return lit(moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{self.rng.randrange(1000):03d}")
        if self.rng.random() < 0.3:
            return lit(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return lit(moment.strftime("%Y-%m-%d %H:%M:%S+00"))

    def phrase(self, lo, hi, capital=True):
        words = [self.rng.choice(PROSE) for _ in range(self.rng.randint(lo, hi))]
        text = " ".join(words)
        return text[0].upper() + text[1:] if capital else text

    def sentences(self, count):
        out = []
        for _ in range(count):
            text = self.phrase(5, 16) + self.rng.choice([".", ".", ".", "; see below.", "!", "?"])
            out.append(text)
        return " ".join(out)

    def product_name(self):
        rng = self.rng
        shape = rng.random()
        if shape < 0.25:
            return f"{rng.choice(LAST)}'s {rng.choice(WORDS).capitalize()} {rng.choice(NOUNS).capitalize()}"
        if shape < 0.5:
            return f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS).capitalize()} {rng.choice(NOUNS)}"
        if shape < 0.7:
            return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        return f"{rng.choice(WORDS).capitalize()} {rng.choice(NOUNS)} #{rng.randint(1, 999)}"

    def json_value(self):
        rng = self.rng
        pairs = []
        for _ in range(rng.randint(0, 5)):
            key = rng.choice(["source", "plan", "seats", "flags", "theme", "note", "tier", "region", "beta", "limits"])
            if key in ("seats", "tier"):
                value = str(rng.randint(1, 500))
            elif key == "beta":
                value = rng.choice(["true", "false"])
            elif key == "flags":
                value = "[" + ", ".join(f'"{rng.choice(WORDS)}"' for _ in range(rng.randint(0, 3))) + "]"
            elif key == "limits":
                value = f'{{"daily": {rng.randint(1, 900)}, "burst": {rng.randint(1, 50)}}}'
            elif key == "note":
                value = '"' + self.phrase(2, 7) + '"'
            else:
                value = f'"{rng.choice(WORDS)}"'
            if f'"{key}"' not in "".join(pairs):
                pairs.append(f'"{key}": {value}')
        text = lit("{" + ", ".join(pairs) + "}")
        roll = rng.random()
        if roll < 0.35:
            return text + "::jsonb"
        if roll < 0.45 and pairs:
            return f"jsonb_build_object('imported', true, 'batch', {rng.randint(1, 40)})"
        return text

    # -- names ------------------------------------------------------------------------

    def claim(self, schema, name):
        name = name[:63]
        base, n = name, 2
        while (schema, name) in self.names:
            suffix = f"_{n}"
            name = base[: 63 - len(suffix)] + suffix
            n += 1
        self.names.add((schema, name))
        return name

    def new_table_identity(self, style, schema="public"):
        rng = self.rng
        for _ in range(200):
            noun = rng.choice(NOUNS)
            singular = noun if rng.random() < 0.3 else f"{rng.choice(DOMAINS)}_{noun}"
            name = pascal(singular) if style == "prisma" else plural(singular) if rng.random() < 0.85 else singular
            if (schema, name) not in self.names:
                self.names.add((schema, name))
                return name, singular
        singular = f"{rng.choice(DOMAINS)}_{rng.choice(NOUNS)}_{len(self.tables)}"
        name = pascal(singular) if style == "prisma" else plural(singular)
        self.names.add((schema, name))
        return name, singular

    def index_name(self, table: Table, parts, suffix="idx"):
        if table.style == "prisma":
            raw = f"{table.name}_{'_'.join(parts)}_{suffix}"
        else:
            raw = f"{table.name}_{'_'.join(p.lower() for p in parts)}_{suffix}"
        raw = re.sub(r"[^A-Za-z0-9_]", "", raw)
        if len(raw) > 58:
            raw = raw[:50] + "_" + suffix
        return self.claim(table.schema, raw)

    def constraint_name(self, table: Table, raw):
        raw = raw[:63]
        base, n = raw, 2
        while raw in table.constraints:
            raw = base[:60] + f"_{n}"
            n += 1
        table.constraints.append(raw)
        return raw

    def function_name(self, raw):
        raw = raw[:55]
        base, n = raw, 2
        while raw in self.functions:
            raw = f"{base}_v{n}"
            n += 1
        self.functions.add(raw)
        return raw

    # -- columns ----------------------------------------------------------------------

    COLUMN_KINDS = [
        ("description", 6), ("slug", 3), ("email", 2), ("status", 5), ("price", 3),
        ("quantity", 2), ("metadata", 5), ("tags", 3), ("is_active", 4), ("position", 3),
        ("rating", 2), ("amount_cents", 2), ("currency", 2), ("due_date", 2), ("window", 2),
        ("settings", 2), ("ip_address", 1), ("color", 2), ("external_id", 2), ("notes", 3),
        ("locale", 1), ("score", 2), ("version", 2), ("deleted_at", 3), ("published_at", 2),
        ("url", 2), ("phone", 1), ("country_code", 1), ("geo", 1), ("payload", 1),
        ("priority", 2), ("duration", 1), ("attempts", 1), ("last_seen_at", 1), ("body", 2),
        ("expires_at", 1), ("amount", 2), ("counter", 1), ("search", 1),
    ]

    def pick_kinds(self, count, existing):
        pool = [(k, w) for k, w in self.COLUMN_KINDS if k not in existing]
        chosen = []
        while pool and len(chosen) < count:
            total = sum(w for _, w in pool)
            roll = self.rng.uniform(0, total)
            for i, (kind, weight) in enumerate(pool):
                roll -= weight
                if roll <= 0:
                    chosen.append(kind)
                    pool.pop(i)
                    break
        return chosen

    def make_columns(self, table: Table, kind, adding=False, file_ctx=None):
        """Columns for one kind (two for the pair kinds). None when it does not fit."""
        rng = self.rng
        prisma = table.style == "prisma"
        nm = camel if prisma else (lambda s: s)
        ts = "TIMESTAMP(3)" if prisma else ("timestamp with time zone" if file_ctx and file_ctx.style == "drizzle" else "timestamptz")
        text = "TEXT" if prisma else "text"
        checks = not prisma

        def c(name, ctype, **kw):
            if not checks:
                kw.pop("check", None)
            column = Column(nm(name), kind, ctype, **kw)
            if adding and not column.nullable and column.default is None and not column.generated:
                column.nullable = True
            return column

        if kind == "description":
            return [c("description", text)]
        if kind == "slug":
            return [c("slug", text, nullable=False, unique=True, check="{c} ~ '^[a-z0-9]+(-[a-z0-9]+)*$'")]
        if kind == "email":
            return [c("email", text, nullable=False, unique=True, check="position('@' in {c}) > 1")]
        if kind == "status":
            values = rng.choice(STATUS_SETS)
            if prisma:
                values = [v.upper() for v in values]
            ctype = text
            if rng.random() < 0.3 or prisma and rng.random() < 0.7:
                tname = self.claim(table.schema, (pascal(table.singular) + "Status") if prisma else f"{table.singular}_status")
                ctype = ("" if table.schema == "public" else f"{table.schema}.") + (f'"{tname}"' if prisma else tname)
                self.pending_types.append((table.schema, tname, values, prisma))
                column = c("status", ctype, nullable=False, default=lit(values[0]), choices=values)
                column.enum = (table.schema, tname)
                return [column]
            inlist = ", ".join(lit(v) for v in values)
            return [c("status", ctype, nullable=False, default=lit(values[0]), choices=values,
                      check="{c} in (" + inlist + ")")]
        if kind == "price":
            return [c("price", "DECIMAL(10,2)" if prisma else "numeric(10,2)", nullable=False, default="0", check="{c} >= 0")]
        if kind == "amount":
            return [c("amount", "DECIMAL(12,2)" if prisma else "numeric(12, 2)", nullable=rng.random() < 0.5)]
        if kind == "quantity":
            return [c("quantity", "INTEGER" if prisma else "integer", nullable=False, default="1", check="{c} > 0")]
        if kind == "metadata":
            return [c("metadata", "JSONB" if prisma else "jsonb", nullable=False,
                      default="'{}'" if prisma else "'{}'::jsonb")]
        if kind == "settings":
            return [c("settings", "JSONB" if prisma else "jsonb")]
        if kind == "payload":
            return [c("payload", "JSONB" if prisma else "jsonb", nullable=False)]
        if kind == "tags":
            return [c("tags", "TEXT[]" if prisma else "text[]", nullable=False,
                      default="ARRAY[]::TEXT[]" if prisma else "'{}'::text[]")]
        if kind == "is_active":
            return [c("is_active", "BOOLEAN" if prisma else "boolean", nullable=False, default="true")]
        if kind == "position":
            return [c("position", "INTEGER" if prisma else "integer", nullable=False, default="0")]
        if kind == "rating":
            return [c("rating", "SMALLINT" if prisma else "smallint", check="{c} between 1 and 5")]
        if kind == "amount_cents":
            return [c("amount_cents", "BIGINT" if prisma else "bigint", nullable=False, default="0", check="{c} >= 0")]
        if kind == "currency":
            return [c("currency", "CHAR(3)" if prisma else "char(3)", nullable=False, default="'USD'",
                      check="{c} ~ '^[A-Z]{3}$'")]
        if kind == "due_date":
            return [c("due_date", "DATE" if prisma else "date")]
        if kind == "window":
            start = c("starts_at", ts, nullable=False, default="CURRENT_TIMESTAMP" if prisma else "now()")
            end = c("ends_at", ts)
            start.kind, end.kind = "window_start", "window_end"
            if checks and not adding:
                table.table_checks.append((f"{table.name}_window_check" if rng.random() < 0.6 else "",
                                           "{ends_at} is null or {ends_at} > {starts_at}"))
            return [start, end]
        if kind == "ip_address":
            return [c("ip_address", "INET" if prisma else "inet")]
        if kind == "color":
            return [c("color", text, nullable=False, default="'#3b82f6'", check="{c} ~ '^#[0-9a-f]{6}$'")]
        if kind == "external_id":
            return [c("external_id", text, unique=True)]
        if kind == "notes":
            return [c("notes", text)]
        if kind == "locale":
            return [c("locale", text, nullable=False, default="'en'")]
        if kind == "score":
            return [c("score", "DOUBLE PRECISION" if prisma else "double precision")]
        if kind == "version":
            return [c("version", "INTEGER" if prisma else "integer", nullable=False, default="1", check="{c} >= 1")]
        if kind == "deleted_at":
            return [c("deleted_at", ts)]
        if kind == "published_at":
            return [c("published_at", ts)]
        if kind == "expires_at":
            return [c("expires_at", ts)]
        if kind == "last_seen_at":
            return [c("last_seen_at", ts)]
        if kind == "url":
            return [c("url", text, check="{c} ~ '^https?://'")]
        if kind == "phone":
            return [c("phone", text)]
        if kind == "country_code":
            return [c("country_code", "CHAR(2)" if prisma else "char(2)", check="{c} = upper({c})")]
        if kind == "geo":
            lat = c("latitude", "DECIMAL(9,6)" if prisma else "numeric(9,6)", check="{c} between -90 and 90")
            lon = c("longitude", "DECIMAL(9,6)" if prisma else "numeric(9,6)", check="{c} between -180 and 180")
            lat.kind, lon.kind = "latitude", "longitude"
            return [lat, lon]
        if kind == "priority":
            return [c("priority", "INTEGER" if prisma else "integer", nullable=False, default="0",
                      check="{c} between 0 and 10")]
        if kind == "duration":
            return [c("duration", "INTERVAL" if prisma else "interval", default="interval '30 minutes'")]
        if kind == "attempts":
            return [c("attempts", "SMALLINT" if prisma else "smallint", nullable=False, default="0", check="{c} >= 0")]
        if kind == "counter":
            return [c("view_count", "BIGINT" if prisma else "bigint", nullable=False, default="0")]
        if kind == "body":
            return [c("body", text, nullable=False)]
        if kind == "search":
            source = table.col("name") or table.col("title")
            if prisma or source is None or (file_ctx is None):
                return None
            extra = table.col("description")
            expr = f"coalesce({file_ctx.q(source.name)}, '')"
            if extra is not None:
                expr += f" || ' ' || coalesce({file_ctx.q(extra.name)}, '')"
            gen = f"GENERATED ALWAYS AS (to_tsvector('simple', {expr})) STORED"
            column = Column("search", "search", "tsvector", generated=gen, insertable=False)
            source.pinned = True
            if extra is not None:
                extra.pinned = True
            return [column]
        raise ValueError(kind)

    def column_sql(self, ctx: FileCtx, table: Table, column: Column, inline_pk=True, width=0):
        q = ctx.q
        name = q(column.name)
        parts = [name.ljust(width) if width else name, column.sqltype]
        if column.generated:
            parts.append(column.generated)
            return " ".join(parts)
        if column.pk and inline_pk:
            if table.pk_kind in ("identity", "identity_default"):
                parts.append("GENERATED ALWAYS AS IDENTITY" if table.pk_kind == "identity" else "GENERATED BY DEFAULT AS IDENTITY")
            parts.append("PRIMARY KEY")
            if column.default:
                parts.append("DEFAULT " + column.default)
            if ctx.style == "drizzle":
                parts.append("NOT NULL")
            return " ".join(parts)
        drizzle = ctx.style == "drizzle"
        if not column.nullable and not drizzle:
            parts.append("NOT NULL")
        if column.default is not None:
            parts.append("DEFAULT " + column.default)
        if not column.nullable and drizzle:
            parts.append("NOT NULL")
        if column.unique and table.style != "prisma" and not drizzle:
            parts.append("UNIQUE")
        if column.check:
            parts.append("CHECK (" + column.check.replace("{c}", name) + ")")
        if column.fk is not None and table.style != "prisma" and not drizzle:
            ref = column.fk
            parts.append(f"REFERENCES {ctx.t(ref)} ({q(ref.pk.name)})")
            if column.on_delete:
                parts.append("ON DELETE " + column.on_delete)
        return " ".join(parts)

    def table_check_sql(self, ctx, table, expr):
        for column in table.columns:
            expr = expr.replace("{" + column.name + "}", ctx.q(column.name))
        return expr

    # -- CREATE TABLE -------------------------------------------------------------------

    def create_table(self, ctx: FileCtx, style_hint=None):
        rng = self.rng
        style = "prisma" if ctx.style == "prisma" else "snake"
        schema = "private" if rng.random() < 0.05 and style == "snake" else "public"
        name, singular = self.new_table_identity(style, schema)
        table = Table(schema, name, singular, style)
        self.pending_types = []
        prisma = style == "prisma"

        # Primary key
        if prisma:
            kind = "text" if rng.random() < 0.75 else "serial"
            table.pk_kind = kind
            pk = Column("id", "pk", "TEXT" if kind == "text" else "SERIAL", nullable=False)
        else:
            roll = rng.random()
            if roll < 0.55:
                table.pk_kind = "uuid"
                pk = Column("id", "pk", "uuid", nullable=False, default="gen_random_uuid()")
            elif roll < 0.75:
                table.pk_kind = "identity"
                pk = Column("id", "pk", "bigint", nullable=False)
            elif roll < 0.8:
                table.pk_kind = "identity_default"
                pk = Column("id", "pk", "bigint", nullable=False)
            elif roll < 0.92:
                table.pk_kind = "serial"
                pk = Column("id", "pk", "serial", nullable=False)
            else:
                table.pk_kind = "bigserial"
                pk = Column("id", "pk", "bigserial", nullable=False)
        pk.pk = True
        pk.insertable = table.pk_kind in ("uuid", "text")
        table.pk = pk
        table.columns.append(pk)

        # Owner
        if rng.random() < 0.72 and schema == "public":
            if prisma:
                owner = Column("userId", "owner", "TEXT", nullable=False)
            else:
                owner = Column("user_id", "owner", "text", nullable=False, default="(auth.user_id())")
            owner.pinned = True
            table.owner = owner
            table.columns.append(owner)

        # Parents
        candidates = [t for t in self.tables if not t.internal and t.schema == "public"]
        for _ in range(rng.choice([0, 0, 1, 1, 1, 2, 2, 3])):
            if not candidates:
                break
            parent = rng.choice(candidates[-60:] if rng.random() < 0.7 else candidates)
            col_name = (camel(parent.singular) + "Id") if prisma else f"{parent.singular}_id"
            if table.has(col_name):
                continue
            ctype = {"uuid": "uuid", "identity": "bigint", "identity_default": "bigint", "serial": "integer",
                     "bigserial": "bigint", "text": "text"}[parent.pk_kind]
            if prisma:
                ctype = ctype.upper()
            nullable = rng.random() < 0.35
            column = Column(col_name, "fk", ctype, nullable=nullable)
            column.fk = parent
            column.on_delete = rng.choice(["SET NULL", "CASCADE"]) if nullable else rng.choice(["CASCADE", "CASCADE", "RESTRICT"])
            column.pinned = True
            parent.children += 1
            table.columns.append(column)
            if parent.owner is not None and table.owner is None and table.owned_parent is None and not nullable:
                table.owned_parent = column

        # Label column
        label = rng.choice(["name", "name", "title"])
        table.columns.append(Column(camel(label) if prisma else label, label, "TEXT" if prisma else "text", nullable=False,
                                    check=None if prisma else ("char_length({c}) between 1 and 200" if rng.random() < 0.6 else None)))

        # The rest
        for kind in self.pick_kinds(rng.randint(3, 26), {c.kind for c in table.columns}):
            columns = self.make_columns(table, kind, file_ctx=ctx)
            if columns and len(table.columns) + len(columns) <= 28:
                table.columns.extend(columns)
            elif kind == "window" and table.table_checks:
                table.table_checks.pop()  # its columns did not fit
        ts = "TIMESTAMP(3)" if prisma else ("timestamp with time zone" if ctx.style == "drizzle" else "timestamptz")
        table.columns.append(Column(camel("created_at") if prisma else "created_at", "created_at", ts, nullable=False,
                                    default="CURRENT_TIMESTAMP" if prisma else "now()"))
        if rng.random() < 0.8:
            table.columns.append(Column(camel("updated_at") if prisma else "updated_at", "updated_at", ts,
                                        nullable=False, default=None if prisma else "now()"))

        self.emit_pending_types(ctx)

        if prisma:
            self.emit_prisma_table(ctx, table)
        else:
            self.emit_snake_table(ctx, table)
        self.tables.append(table)
        return table

    def emit_pending_types(self, ctx: FileCtx):
        for schema_name, type_name, values, is_prisma in self.pending_types:
            if is_prisma:
                ctx.comment("CreateEnum")
            labels = ", ".join(lit(v) for v in values)
            ctx.stmt(f"CREATE TYPE {ctx.fn(schema_name, ctx.q(type_name))} AS ENUM ({labels})")
        self.pending_types = []

    def emit_snake_table(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        if ctx.style == "supabase" and rng.random() < 0.4:
            ctx.comment(rng.choice([
                f"{table.label().capitalize()}: one row per {table.label()}",
                f"Table: {table.schema}.{table.name}",
                f"Stores {table.label()} records for the dashboard",
            ]))
        drizzle = ctx.style == "drizzle"
        inline_pk = rng.random() < 0.9
        width = max(len(q(c.name)) for c in table.columns) if ctx.align else 0
        lines = []
        for column in table.columns:
            line = ctx.indent + self.column_sql(ctx, table, column, inline_pk=inline_pk, width=width)
            lines.append(line)
        extra = []
        if not inline_pk:
            cname = self.constraint_name(table, f"{table.name}_pkey")
            self.claim(table.schema, cname)
            extra.append(f"{ctx.indent}CONSTRAINT {q(cname)} PRIMARY KEY ({q(table.pk.name)})")
            if table.pk_kind in ("identity", "identity_default"):
                ident = "GENERATED ALWAYS AS IDENTITY" if table.pk_kind == "identity" else "GENERATED BY DEFAULT AS IDENTITY"
                lines[0] = f"{ctx.indent}{q(table.pk.name)} {table.pk.sqltype} {ident}"
            else:
                lines[0] = f"{ctx.indent}{q(table.pk.name)} {table.pk.sqltype} NOT NULL" + (
                    f" DEFAULT {table.pk.default}" if table.pk.default else "")
        for cname, expr in table.table_checks:
            sql = self.table_check_sql(ctx, table, expr)
            if cname:
                cname = self.constraint_name(table, cname)
                extra.append(f"{ctx.indent}CONSTRAINT {q(cname)} CHECK ({sql})")
            else:
                extra.append(f"{ctx.indent}CHECK ({sql})")
        if drizzle:
            for column in table.columns:
                if column.unique:
                    cname = self.claim(table.schema, self.constraint_name(table, f"{table.name}_{column.name}_unique"))
                    extra.append(f'{ctx.indent}CONSTRAINT {q(cname)} UNIQUE({q(column.name)})')
        # trailing line comments on a few columns
        for i, column in enumerate(table.columns):
            if rng.random() < 0.06 and not drizzle:
                lines[i] = (lines[i], rng.choice(["-- soft delete marker", "-- set by the app", "-- denormalised",
                                                 "-- see docs/data-model.md", "-- nullable until backfill; done"]))
        everything = lines + extra
        rendered = []
        for i, line in enumerate(everything):
            sep = "," if i < len(everything) - 1 else ""
            if isinstance(line, tuple):
                rendered.append(f"{line[0]}{sep} {line[1]}")
            else:
                rendered.append(line + sep)
        if_not = "IF NOT EXISTS " if drizzle or rng.random() < 0.25 else ""
        ctx.stmt(f"CREATE TABLE {if_not}{ctx.t(table)} (\n" + "\n".join(rendered) + "\n)")
        if drizzle:
            for column in table.columns:
                if column.fk is not None:
                    ref = column.fk
                    cname = self.constraint_name(table, f"{table.name}_{column.name}_{ref.name}_{ref.pk.name}_fk")
                    action = (column.on_delete or "no action").lower()
                    ctx.stmt(
                        "DO $$ BEGIN\n"
                        f' ALTER TABLE {ctx.t(table)} ADD CONSTRAINT "{cname}" FOREIGN KEY ("{column.name}") '
                        f'REFERENCES "{ref.schema}"."{ref.name}"("{ref.pk.name}") ON DELETE {action} ON UPDATE no action;\n'
                        "EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$")

    def emit_prisma_table(self, ctx: FileCtx, table: Table):
        q = ctx.q
        ctx.comment("CreateTable")
        lines = [ctx.indent + self.column_sql(ctx, table, column, inline_pk=False) for column in table.columns]
        # prisma writes the PK column plainly and the constraint at the end
        pk = table.pk
        lines[0] = f'{ctx.indent}{q(pk.name)} {pk.sqltype} NOT NULL'
        cname = self.constraint_name(table, f"{table.name}_pkey")
        self.claim(table.schema, cname)
        body = ",\n".join(lines) + f",\n\n{ctx.indent}CONSTRAINT {q(cname)} PRIMARY KEY ({q(pk.name)})"
        ctx.stmt(f"CREATE TABLE {ctx.t(table)} (\n{body}\n)")
        for column in table.columns:
            if column.unique:
                ctx.comment("CreateIndex")
                iname = self.index_name(table, [column.name], "key")
                ctx.stmt(f"CREATE UNIQUE INDEX {q(iname)} ON {ctx.t(table)}({q(column.name)})")
        for column in table.columns:
            if column.kind in ("fk", "owner") and self.rng.random() < 0.7:
                ctx.comment("CreateIndex")
                iname = self.index_name(table, [column.name], "idx")
                ctx.stmt(f"CREATE INDEX {q(iname)} ON {ctx.t(table)}({q(column.name)})")
        for column in table.columns:
            if column.fk is not None:
                ref = column.fk
                ctx.comment("AddForeignKey")
                cname = self.constraint_name(table, f"{table.name}_{column.name}_fkey")
                on_delete = column.on_delete or "RESTRICT"
                ctx.stmt(f"ALTER TABLE {ctx.t(table)} ADD CONSTRAINT {q(cname)} FOREIGN KEY ({q(column.name)}) "
                         f"REFERENCES {ctx.t(ref)}({q(ref.pk.name)}) ON DELETE {on_delete} ON UPDATE CASCADE")

    # -- security: RLS, policies, grants -------------------------------------------------

    def policy_name(self, table: Table, action, ctx: FileCtx):
        rng = self.rng
        label = table.label() if table.style == "snake" else table.name
        verbs = {"select": "view", "insert": "create", "update": "update", "delete": "delete", "all": "manage"}
        if rng.random() < 0.55:
            raw = f"Users can {verbs[action]} their own {plural(label) if table.style == 'snake' else label}"
        else:
            raw = f"{table.name}_{action}_{rng.choice(['own', 'owner', 'policy', 'authenticated'])}"
        raw = raw[:60]
        base, n = raw, 2
        while raw in table.policies:
            raw = f"{base[:56]} {n}" if " " in base else f"{base[:56]}_{n}"
            n += 1
        table.policies.append(raw)
        return raw

    def owner_expr(self, ctx: FileCtx, table: Table, alias=None):
        if table.owner is not None:
            return f"(select auth.user_id()) = {ctx.q(table.owner.name)}"
        fk = table.owned_parent
        if fk is not None:
            parent = fk.fk
            p = "p"
            return (f"exists (\n{ctx.indent}{ctx.indent}select 1 from {ctx.t(parent)} {p}\n"
                    f"{ctx.indent}{ctx.indent}where {p}.{ctx.q(parent.pk.name)} = {ctx.q(table.name)}.{ctx.q(fk.name)}\n"
                    f"{ctx.indent}{ctx.indent}  and {p}.{ctx.q(parent.owner.name)} = (select auth.user_id())\n{ctx.indent})")
        return None

    def emit_rls(self, ctx: FileCtx, table: Table, force_policies=None):
        rng = self.rng
        if not table.rls:
            ctx.stmt(f"ALTER TABLE {ctx.t(table)} ENABLE ROW LEVEL SECURITY")
            table.rls = True
            if rng.random() < 0.05:
                ctx.stmt(f"ALTER TABLE {ctx.t(table)} FORCE ROW LEVEL SECURITY")
        if force_policies is False:
            return
        self.emit_policies(ctx, table)

    def emit_policies(self, ctx: FileCtx, table: Table):
        rng = self.rng
        T = ctx.t(table)
        expr = self.owner_expr(ctx, table)
        if expr is None:
            name = self.policy_name(table, "select", ctx)
            ctx.stmt(f'CREATE POLICY "{name}" ON {T}\n{ctx.indent}FOR SELECT TO authenticated\n{ctx.indent}USING (true)')
            return
        if rng.random() < 0.3:
            name = self.policy_name(table, "all", ctx)
            if rng.random() < 0.3:
                ctx.stmt(f'DROP POLICY IF EXISTS "{name}" ON {T}')
            ctx.stmt(f'CREATE POLICY "{name}" ON {T}\n{ctx.indent}FOR ALL TO authenticated\n'
                     f"{ctx.indent}USING ({expr})\n{ctx.indent}WITH CHECK ({expr})")
            return
        for action in ("select", "insert", "update", "delete"):
            if action == "delete" and rng.random() < 0.2:
                continue
            name = self.policy_name(table, action, ctx)
            head = f'CREATE POLICY "{name}" ON {T}\n{ctx.indent}'
            if rng.random() < 0.15:
                head = f'CREATE POLICY "{name}"\n{ctx.indent}ON {T}\n{ctx.indent}AS PERMISSIVE\n{ctx.indent}'
            if action == "insert":
                ctx.stmt(f"{head}FOR INSERT TO authenticated\n{ctx.indent}WITH CHECK ({expr})")
            elif action == "update":
                ctx.stmt(f"{head}FOR UPDATE TO authenticated\n{ctx.indent}USING ({expr})\n{ctx.indent}WITH CHECK ({expr})")
            else:
                ctx.stmt(f"{head}FOR {action.upper()} TO authenticated\n{ctx.indent}USING ({expr})")
        for column in table.columns:
            if column.kind in ("owner",) or column is table.owned_parent:
                column.pinned = True

    def emit_grants(self, ctx: FileCtx, table: Table):
        rng = self.rng
        roll = rng.random()
        T = ctx.t(table)
        if roll < 0.6:
            ctx.stmt(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {T} TO authenticated")
        elif roll < 0.75:
            ctx.stmt(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {T} TO authenticated")
        elif roll < 0.85:
            ctx.stmt(f"GRANT ALL ON TABLE {T} TO authenticated")
        else:
            ctx.stmt(f"GRANT SELECT ON {T} TO authenticated")
        if table.pk_kind in ("serial", "bigserial", "identity_default") and rng.random() < 0.5 and table.style == "snake":
            seq = f"{table.name}_id_seq"
            if (table.schema, seq) not in self.names:
                ctx.stmt(f"GRANT USAGE, SELECT ON SEQUENCE {ctx.fn(table.schema, ctx.q(seq))} TO authenticated")

    # -- indexes, triggers, comments -------------------------------------------------

    def emit_indexes(self, ctx: FileCtx, table: Table, count):
        rng = self.rng
        q = ctx.q
        T = ctx.t(table)
        options = []
        for column in table.columns:
            if column.kind in ("fk", "owner"):
                options.append("fk")
        kinds = {c.kind: c for c in table.columns}
        for kind in ("status", "created_at", "metadata", "tags", "search", "email", "slug", "deleted_at",
                     "due_date", "window_start", "priority", "external_id", "published_at", "name", "title"):
            if kind in kinds:
                options.append(kind)
        rng.shuffle(options)
        done = 0
        used_fk = set()
        for option in options:
            if done >= count:
                break
            if_not = "IF NOT EXISTS " if rng.random() < 0.2 else ""
            if option == "fk":
                column = next((c for c in table.columns if c.kind in ("fk", "owner") and c.name not in used_fk), None)
                if column is None:
                    continue
                used_fk.add(column.name)
                cols = [column.name]
                extra = ""
                if column.kind == "owner" and "created_at" in kinds and rng.random() < 0.4:
                    cols.append(kinds["created_at"].name)
                    spec = f"{q(column.name)}, {q(kinds['created_at'].name)} DESC"
                else:
                    spec = q(column.name)
                if "deleted_at" in kinds and rng.random() < 0.3:
                    extra = f" WHERE {q(kinds['deleted_at'].name)} IS NULL"
                    kinds["deleted_at"].pinned = True
                name = self.index_name(table, cols)
                using = " USING btree" if rng.random() < 0.2 else ""
                ctx.stmt(f"CREATE INDEX {if_not}{q(name)} ON {T}{using} ({spec}){extra}")
            elif option in ("metadata", "tags", "search"):
                column = kinds[option]
                name = self.index_name(table, [column.name], "gin_idx" if rng.random() < 0.5 else "idx")
                opclass = " jsonb_path_ops" if option == "metadata" and rng.random() < 0.5 else ""
                ctx.stmt(f"CREATE INDEX {if_not}{q(name)} ON {T} USING gin ({q(column.name)}{opclass})")
            elif option == "email" and table.style == "snake":
                column = kinds[option]
                name = self.index_name(table, ["lower", column.name], "key")
                ctx.stmt(f"CREATE UNIQUE INDEX {if_not}{q(name)} ON {T} (lower({q(column.name)}))")
            elif option == "slug" and table.owner is not None:
                column = kinds[option]
                name = self.index_name(table, [table.owner.name, column.name], "key")
                ctx.stmt(f"CREATE UNIQUE INDEX {if_not}{q(name)} ON {T} ({q(table.owner.name)}, {q(column.name)})")
            elif option == "status" and ("name" in kinds or "title" in kinds) and rng.random() < 0.5:
                column = kinds[option]
                label = kinds.get("name") or kinds.get("title")
                label.pinned = True
                name = self.index_name(table, [column.name], "idx")
                ctx.stmt(f"CREATE INDEX {if_not}{q(name)} ON {T} ({q(column.name)}) INCLUDE ({q(label.name)})")
            else:
                column = kinds[option]
                desc = " DESC" if column.kind in ("created_at", "published_at", "due_date") and rng.random() < 0.6 else ""
                name = self.index_name(table, [column.name])
                ctx.stmt(f"CREATE INDEX {if_not}{q(name)} ON {T} ({q(column.name)}{desc})")
            column.pinned = True
            done += 1

    def emit_triggers(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        T = ctx.t(table)
        updated = table.col("updated_at")
        if updated is not None and rng.random() < 0.8:
            fn = "set_updated_at_camel" if table.style == "prisma" else "set_updated_at"
            name = self.trigger_name(table, f"{table.name}_set_updated_at" if rng.random() < 0.5 else "set_updated_at")
            replace = "OR REPLACE " if rng.random() < 0.2 else ""
            ctx.stmt(f"CREATE {replace}TRIGGER {q(name)}\n{ctx.indent}BEFORE UPDATE ON {T}\n"
                     f"{ctx.indent}FOR EACH ROW EXECUTE FUNCTION {ctx.fn('public', fn)}()")
        if table.col("version") is not None and rng.random() < 0.5:
            name = self.trigger_name(table, f"{table.name}_bump_version")
            ctx.stmt(f"CREATE TRIGGER {q(name)} BEFORE UPDATE ON {T} FOR EACH ROW EXECUTE PROCEDURE {ctx.fn('public', 'bump_version')}()")
        if rng.random() < 0.12:
            name = self.trigger_name(table, f"{table.name}_audit")
            ctx.stmt(f"CREATE TRIGGER {q(name)}\n{ctx.indent}AFTER INSERT OR UPDATE OR DELETE ON {T}\n"
                     f"{ctx.indent}FOR EACH ROW EXECUTE FUNCTION {ctx.fn('public', 'audit_row_change')}()")

    def trigger_name(self, table: Table, raw):
        raw = raw[:60]
        base, n = raw, 2
        while raw in table.triggers:
            raw = f"{base[:57]}_{n}"
            n += 1
        table.triggers.append(raw)
        return raw

    def emit_comments(self, ctx: FileCtx, table: Table, count):
        rng = self.rng
        T = ctx.t(table)
        if rng.random() < 0.7:
            ctx.stmt(f"COMMENT ON TABLE {T} IS {lit(self.sentences(rng.randint(1, 2)))}")
        for column in rng.sample(table.columns, min(count, len(table.columns))):
            text = rng.choice([
                f"The {column.name.replace('_', ' ')} of the {table.label()}; set by the app.",
                self.sentences(1),
                self.sentences(2),
                "Don't write this from the client. Owner's value wins on conflict.",
                f"Added in v{rng.randint(1, 9)}.{rng.randint(0, 20)}; backfilled by migration {rng.randint(10, 999)}.",
                f"@deprecated use {rng.choice(WORDS)}_{column.name.lower()} instead; it's kept for the mobile app <= 2.{rng.randint(0, 9)}",
            ])
            ctx.stmt(f"COMMENT ON COLUMN {T}.{ctx.q(column.name)} IS {lit(text)}")

    # -- whole-table bundle -----------------------------------------------------------

    def table_bundle(self, ctx: FileCtx):
        rng = self.rng
        table = self.create_table(ctx)
        secure = table.schema == "public"
        if ctx.style == "prisma" and rng.random() < 0.35:
            secure = False  # a later hand-written file adds RLS and grants
        if secure:
            if ctx.style == "prisma":
                ctx.comment("Row level security (added by hand after `prisma migrate dev`)")
            if rng.random() < 0.88:
                self.emit_rls(ctx, table)
            if rng.random() < 0.85:
                self.emit_grants(ctx, table)
        if ctx.style != "prisma":
            self.emit_indexes(ctx, table, rng.randint(0, 5))
        self.emit_triggers(ctx, table)
        if rng.random() < 0.45:
            self.emit_comments(ctx, table, rng.randint(1, len(table.columns) // 2 + 1))
        return table

    # -- functions --------------------------------------------------------------------

    def plpgsql_function(self, ctx: FileCtx, table: Table):
        """A realistic RPC-style function body with semicolons inside."""
        rng = self.rng
        q = ctx.q
        T = ctx.t(table)
        fname = self.function_name(f"{table.singular.lower()}_stats" if rng.random() < 0.5 else f"get_{table.singular.lower()}_summary")
        tag = rng.choice(["$$", "$$", "$function$", "$body$"])
        owner = table.owner
        created = table.col("created_at")
        status = table.col("status")
        i = ctx.indent
        where = f"{q(owner.name)} = v_user" if owner is not None else "true"
        body = [
            "DECLARE",
            f"{i}v_user text := coalesce(p_user_id, (select auth.user_id()));",
            f"{i}v_total bigint := 0;",
            f"{i}v_latest timestamptz;",
            f"{i}v_row record;",
            f"{i}v_counts jsonb := '{{}}'::jsonb;",
            "BEGIN",
            f"{i}IF v_user IS NULL THEN",
            f"{i}{i}RAISE EXCEPTION 'not signed in; pass p_user_id or call with a JWT' USING ERRCODE = '42501';",
            f"{i}END IF;",
            "",
            f"{i}-- totals for the caller",
            f"{i}SELECT count(*), max({q(created.name)}) INTO v_total, v_latest",
            f"{i}FROM {T}",
            f"{i}WHERE {where};",
        ]
        if status is not None:
            body += [
                "",
                f"{i}FOR v_row IN",
                f"{i}{i}SELECT {q(status.name)}::text AS status, count(*) AS n FROM {T} WHERE {where} GROUP BY 1",
                f"{i}LOOP",
                f"{i}{i}v_counts := v_counts || jsonb_build_object(v_row.status, v_row.n);",
                f"{i}END LOOP;",
            ]
        if rng.random() < 0.5:
            body += [
                "",
                f"{i}/* dynamic SQL keeps the table name in one place; note the ';' in the format string */",
                f"{i}EXECUTE format('SELECT count(*) FROM %I.%I WHERE %s;', {lit(table.schema)}, {lit(table.name)}, 'true')",
                f"{i}{i}INTO v_total;",
            ]
        body += [
            f"{i}RAISE NOTICE 'stats for %: % rows; latest %', v_user, v_total, v_latest;",
            "",
            f"{i}RETURN jsonb_build_object(",
            f"{i}{i}'total', v_total,",
            f"{i}{i}'latest', v_latest,",
            f"{i}{i}'by_status', v_counts",
            f"{i});",
            "END;",
        ]
        secdef = "\nSECURITY DEFINER\nSET search_path = ''" if rng.random() < 0.4 else ""
        volatility = rng.choice(["STABLE", "VOLATILE", "STABLE"])
        full = self.qualified_fn(ctx, fname)
        ctx.stmt(f"CREATE OR REPLACE FUNCTION {full}(p_user_id text DEFAULT NULL)\nRETURNS jsonb\nLANGUAGE plpgsql\n"
                 f"{volatility}{secdef}\nAS {tag}\n" + "\n".join(body) + f"\n{tag}")
        for column in (owner, created, status):
            if column is not None:
                column.pinned = True
        if rng.random() < 0.6:
            ctx.stmt(f"REVOKE EXECUTE ON FUNCTION {full}(text) FROM PUBLIC")
            ctx.stmt(f"GRANT EXECUTE ON FUNCTION {full}(text) TO authenticated")
        if rng.random() < 0.3:
            ctx.stmt(f"COMMENT ON FUNCTION {full}(text) IS {lit('Dashboard counters for the caller''s ' + plural(table.label()) + '.')}")

    def random_function(self, ctx: FileCtx, table: Table):
        """One of the function shapes for `table`; returns a migration name for it."""
        variant = self.rng.random()
        if variant < 0.12:
            self.search_function(ctx, table)
            return f"search_{table.name.lower()}"
        if variant < 0.24:
            self.report_function(ctx, table)
            return f"{table.singular.lower()}_daily_report"
        if variant < 0.35:
            self.plpgsql_function(ctx, table)
            return f"{table.singular.lower()}_stats_function"
        if variant < 0.5:
            self.trigger_function(ctx, table)
            return f"{table.singular.lower()}_before_write_trigger"
        if variant < 0.65:
            self.upsert_function(ctx, table)
            return f"create_{table.singular.lower()}_rpc"
        if variant < 0.78 and table.col("deleted_at") is not None:
            self.soft_delete_function(ctx, table)
            return f"soft_delete_{table.singular.lower()}"
        if variant < 0.9 or table.owner is None or table.schema != "public":
            self.sql_function(ctx, table)
            return f"count_{table.singular.lower()}_rows"
        self.membership_helper(ctx, table)
        return f"owns_{table.singular.lower()}_helper"

    def search_function(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        i = ctx.indent
        fname = self.function_name(f"search_{table.name.lower()}")
        full = self.qualified_fn(ctx, fname)
        label = table.col("name") or table.col("title")
        created = table.col("created_at")
        search = table.col("search")
        if search is not None and rng.random() < 0.8:
            match = f"t.{q(search.name)} @@ websearch_to_tsquery('simple', p_query)"
            used = [search]
        else:
            match = f"t.{q(label.name)} ILIKE '%' || p_query || '%'"
            used = [label]
            extra = table.col("description") or table.col("notes")
            if extra is not None:
                match += f"\n{i}{i}{i}OR t.{q(extra.name)} ILIKE '%' || p_query || '%'"
                used.append(extra)
        where = [f"(p_query IS NULL OR p_query = ''\n{i}{i}{i}OR {match})"]
        deleted = table.col("deleted_at")
        if deleted is not None:
            where.append(f"t.{q(deleted.name)} IS NULL")
            used.append(deleted)
        if table.owner is not None and rng.random() < 0.5:
            where.append(f"t.{q(table.owner.name)} = (select auth.user_id())")
            used.append(table.owner)
        used.append(created)
        for column in used:
            column.pinned = True
        tag = rng.choice(["$$", "$sql$", "$function$"])
        ctx.stmt(f"CREATE OR REPLACE FUNCTION {full}(\n{i}p_query text,\n{i}p_limit integer DEFAULT 20,\n{i}p_offset integer DEFAULT 0\n)\n"
                 f"RETURNS SETOF {ctx.t(table)}\nLANGUAGE sql\nSTABLE\nAS {tag}\n"
                 f"{i}SELECT t.*\n{i}FROM {ctx.t(table)} t\n{i}WHERE " + f"\n{i}{i}AND ".join(where) +
                 f"\n{i}ORDER BY t.{q(created.name)} DESC, t.{q(table.pk.name)}\n"
                 f"{i}LIMIT least(greatest(p_limit, 1), 100)\n{i}OFFSET greatest(p_offset, 0);\n{tag}")
        if rng.random() < 0.7:
            ctx.stmt(f"GRANT EXECUTE ON FUNCTION {full}(text, integer, integer) TO authenticated")
        if rng.random() < 0.3:
            ctx.stmt(f"COMMENT ON FUNCTION {full}(text, integer, integer) IS "
                     f"{lit('Search box on the ' + plural(table.label()) + ' page; empty query lists everything, newest first.')}")

    def report_function(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        i = ctx.indent
        fname = self.function_name(f"{table.singular.lower()}_daily_report")
        full = self.qualified_fn(ctx, fname)
        created = table.col("created_at")
        money = table.col("price") or table.col("amount") or table.col("amount_cents")
        cols = ["report_day date", "row_count bigint"]
        agg = ["count(*) AS row_count"]
        out = ["coalesce(c.row_count, 0)::bigint"]
        if money is not None:
            cols.append("amount_total numeric")
            agg.append(f"sum(t.{q(money.name)}) AS amount_total")
            out.append("coalesce(c.amount_total, 0)::numeric")
            money.pinned = True
        owner = f"\n{i}{i}{i}AND t.{q(table.owner.name)} = (select auth.user_id())" if table.owner is not None else ""
        created.pinned = True
        body = [
            "BEGIN",
            f"{i}IF p_from > p_to THEN",
            f"{i}{i}RAISE EXCEPTION 'p_from (%) is after p_to (%)', p_from, p_to USING ERRCODE = '22008';",
            f"{i}END IF;",
            f"{i}IF p_to - p_from > 366 THEN",
            f"{i}{i}RAISE WARNING 'report spans % days; this is slow on large accounts', p_to - p_from;",
            f"{i}END IF;",
            "",
            f"{i}RETURN QUERY",
            f"{i}WITH days AS (",
            f"{i}{i}SELECT generate_series(p_from, p_to, interval '1 day')::date AS d",
            f"{i}), counts AS (",
            f"{i}{i}SELECT date_trunc('day', t.{q(created.name)})::date AS d, " + ", ".join(agg),
            f"{i}{i}FROM {ctx.t(table)} t",
            f"{i}{i}WHERE t.{q(created.name)} >= p_from",
            f"{i}{i}{i}AND t.{q(created.name)} < p_to + 1{owner}",
            f"{i}{i}GROUP BY 1",
            f"{i})",
            f"{i}SELECT days.d, " + ", ".join(out),
            f"{i}FROM days",
            f"{i}LEFT JOIN counts c ON c.d = days.d",
            f"{i}ORDER BY days.d;",
            "END;",
        ]
        ctx.stmt(f"CREATE OR REPLACE FUNCTION {full}(p_from date, p_to date DEFAULT current_date)\n"
                 f"RETURNS TABLE ({', '.join(cols)})\nLANGUAGE plpgsql\nSTABLE\nAS $$\n" + "\n".join(body) + "\n$$")
        if rng.random() < 0.6:
            ctx.stmt(f"GRANT EXECUTE ON FUNCTION {full}(date, date) TO authenticated")

    def pk_argtype(self, table: Table):
        return {"uuid": "uuid", "identity": "bigint", "identity_default": "bigint", "serial": "integer",
                "bigserial": "bigint", "text": "text"}[table.pk_kind]

    def upsert_function(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        i = ctx.indent
        fname = self.function_name(f"create_{table.singular.lower()}")
        full = self.qualified_fn(ctx, fname)
        idtype = self.pk_argtype(table)
        fields = [c for c in table.columns if c.insertable and not c.pk and not c.generated and c.kind != "owner"]
        fields = fields[: rng.randint(2, 12)]
        names, values = [], []
        for column in fields:
            key = column.name
            if column.kind in ("metadata", "settings", "payload"):
                expr = f"coalesce(p_payload -> {lit(key)}, '{{}}'::jsonb)"
            elif column.sqltype.lower() == "text":
                expr = f"p_payload ->> {lit(key)}"
            else:
                expr = f"(p_payload ->> {lit(key)})::{column.sqltype}"
            if column.default is not None and not column.nullable and not expr.startswith("coalesce("):
                expr = f"coalesce({expr}, {column.default})"
            names.append(q(column.name))
            values.append(expr)
        if table.owner is not None:
            names.append(q(table.owner.name))
            values.append("(select auth.user_id())")
        sep = ",\n" + i * 3
        body = [
            "DECLARE",
            f"{i}v_id {idtype};",
            f"{i}v_keys text[];",
            "BEGIN",
            f"{i}-- reject anything that is not an object; the client sends the form as-is",
            f"{i}IF p_payload IS NULL OR jsonb_typeof(p_payload) <> 'object' THEN",
            f"{i}{i}RAISE EXCEPTION 'payload must be a JSON object; got %', coalesce(jsonb_typeof(p_payload), 'null')",
            f"{i}{i}{i}USING ERRCODE = '22023';",
            f"{i}END IF;",
            "",
            f"{i}SELECT array_agg(k) INTO v_keys FROM jsonb_object_keys(p_payload) AS k;",
            f"{i}RAISE DEBUG 'create_{table.singular.lower()}: keys=%', v_keys;",
            "",
            f"{i}INSERT INTO {ctx.t(table)} (",
            f"{i}{i}{i}" + sep.join(names),
            f"{i}{i})",
            f"{i}VALUES (",
            f"{i}{i}{i}" + sep.join(values),
            f"{i}{i})",
            f"{i}RETURNING {q(table.pk.name)} INTO v_id;",
            "",
            f"{i}RETURN v_id;",
            "EXCEPTION",
            f"{i}WHEN unique_violation THEN",
            f"{i}{i}RAISE EXCEPTION 'a {table.label()} like that already exists; pick another name'",
            f"{i}{i}{i}USING HINT = 'names are unique per account', ERRCODE = '23505';",
            f"{i}WHEN check_violation OR not_null_violation THEN",
            f"{i}{i}RAISE EXCEPTION 'invalid {table.label()}: %', SQLERRM USING ERRCODE = '22023';",
            "END;",
        ]
        ctx.stmt(f"CREATE OR REPLACE FUNCTION {full}(p_payload jsonb)\nRETURNS {idtype}\nLANGUAGE plpgsql\n"
                 f"SECURITY INVOKER\nAS $$\n" + "\n".join(body) + "\n$$")
        for column in fields:
            column.pinned = True
        if rng.random() < 0.7:
            ctx.stmt(f"GRANT EXECUTE ON FUNCTION {full}(jsonb) TO authenticated")

    def soft_delete_function(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        i = ctx.indent
        deleted = table.col("deleted_at")
        deleted.pinned = True
        fname = self.function_name(f"soft_delete_{table.singular.lower()}")
        full = self.qualified_fn(ctx, fname)
        idtype = self.pk_argtype(table)
        owner = f"\n{i}{i}AND {q(table.owner.name)} = (select auth.user_id())" if table.owner is not None else ""
        body = [
            "DECLARE",
            f"{i}v_count integer;",
            "BEGIN",
            f"{i}UPDATE {ctx.t(table)}",
            f"{i}{i}SET {q(deleted.name)} = now()",
            f"{i}{i}WHERE {q(table.pk.name)} = p_id",
            f"{i}{i}AND {q(deleted.name)} IS NULL{owner};",
            f"{i}GET DIAGNOSTICS v_count = ROW_COUNT;",
            f"{i}IF v_count = 0 THEN",
            f"{i}{i}RAISE EXCEPTION '{table.label()} % not found (or already deleted)', p_id USING ERRCODE = 'P0002';",
            f"{i}END IF;",
            f"{i}/* children keep pointing at the row; a nightly job purges after 30 days */",
            "END;",
        ]
        ctx.stmt(f"CREATE OR REPLACE FUNCTION {full}(p_id {idtype})\nRETURNS void\nLANGUAGE plpgsql\n"
                 f"AS $fn$\n" + "\n".join(body) + "\n$fn$")
        if rng.random() < 0.6:
            ctx.stmt(f"GRANT EXECUTE ON FUNCTION {full}({idtype}) TO authenticated")

    def qualified_fn(self, ctx, fname):
        return f"public.{fname}" if ctx.qualify or self.rng.random() < 0.5 else fname

    def trigger_function(self, ctx: FileCtx, table: Table):
        q = ctx.q
        i = ctx.indent
        fname = self.function_name(f"{table.singular.lower()}_before_write")
        lines = ["BEGIN"]
        label = table.col("name") or table.col("title")
        lines += [f"{i}NEW.{q(label.name)} := btrim(NEW.{q(label.name)});"]
        slug = table.col("slug")
        if slug is not None:
            lines += [
                f"{i}IF NEW.{q(slug.name)} IS NOT NULL THEN",
                f"{i}{i}NEW.{q(slug.name)} := lower(NEW.{q(slug.name)});",
                f"{i}END IF;",
            ]
        meta = table.col("metadata")
        if meta is not None:
            lines += [f"{i}NEW.{q(meta.name)} := coalesce(NEW.{q(meta.name)}, '{{}}'::jsonb);"]
        lines += [
            f"{i}IF TG_OP = 'UPDATE' AND NEW.{q(table.pk.name)} IS DISTINCT FROM OLD.{q(table.pk.name)} THEN",
            f"{i}{i}RAISE EXCEPTION 'the id of a {table.label()} cannot change (was %; now %)', OLD.{q(table.pk.name)}, NEW.{q(table.pk.name)};",
            f"{i}END IF;",
        ]
        updated = table.col("updated_at")
        if updated is not None:
            lines += [f"{i}IF TG_OP = 'UPDATE' THEN", f"{i}{i}NEW.{q(updated.name)} := now();", f"{i}END IF;"]
        for column in (slug, meta, updated):
            if column is not None:
                column.pinned = True
        lines += [f"{i}RETURN NEW;", "END;"]
        full = self.qualified_fn(ctx, fname)
        ctx.stmt(f"CREATE OR REPLACE FUNCTION {full}()\nRETURNS trigger\nLANGUAGE plpgsql\nAS $$\n" + "\n".join(lines) + "\n$$")
        label.pinned = True
        tname = self.trigger_name(table, f"{table.name}_before_write")
        ctx.stmt(f"CREATE TRIGGER {q(tname)}\n{i}BEFORE INSERT OR UPDATE ON {ctx.t(table)}\n{i}FOR EACH ROW\n{i}EXECUTE FUNCTION {full}()")

    def sql_function(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        fname = self.function_name(f"count_{table.singular.lower()}_rows")
        full = self.qualified_fn(ctx, fname)
        if table.owner is not None:
            where = f" WHERE {q(table.owner.name)} = (select auth.user_id())"
        else:
            where = ""
        tag = rng.choice(["$$", "$sql$"])
        ctx.stmt(f"CREATE OR REPLACE FUNCTION {full}()\nRETURNS bigint\nLANGUAGE sql\nSTABLE\nAS {tag}\n"
                 f"{ctx.indent}SELECT count(*) FROM {ctx.t(table)}{where};\n{tag}")
        if rng.random() < 0.5:
            ctx.stmt(f"GRANT EXECUTE ON FUNCTION {full}() TO authenticated")

    def membership_helper(self, ctx: FileCtx, table: Table):
        """private.is_owner_of_x(id): a security definer helper used by policies."""
        q = ctx.q
        i = ctx.indent
        fname = self.function_name(f"owns_{table.singular.lower()}")
        argtype = table.pk.sqltype.lower().replace("bigserial", "bigint").replace("serial", "integer")
        ctx.stmt(f"CREATE OR REPLACE FUNCTION private.{fname}(p_id {argtype})\nRETURNS boolean\nLANGUAGE sql\nSTABLE\n"
                 f"SECURITY DEFINER\nSET search_path = ''\nAS $$\n{i}SELECT EXISTS (\n{i}{i}SELECT 1 FROM {table.schema}.{q(table.name)}\n"
                 f"{i}{i}WHERE {q(table.pk.name)} = p_id AND {q(table.owner.name)} = (select auth.user_id())\n{i});\n$$")
        ctx.stmt(f"GRANT EXECUTE ON FUNCTION private.{fname}({argtype}) TO authenticated")

    # -- views --------------------------------------------------------------------------

    def view(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        if table.style == "snake":
            names = [f"{table.name}_overview", f"{table.name}_list", f"{table.name}_with_details", f"v_{table.name}"]
        else:
            names = [f"{table.name}Overview", f"{table.name}List", f"{table.name}WithDetails", f"{table.name}View"]
        if rng.random() < 0.3 and table.col("deleted_at") is not None:
            names.insert(0, f"active_{table.name}" if table.style == "snake" else f"Active{table.name}")
        free = [n for n in names if (table.schema, n) not in self.names]
        vname = self.claim(table.schema, free[0] if free else names[0])
        cols = [c for c in table.columns if not c.generated]
        picked = [table.pk] + rng.sample(cols[1:], min(len(cols) - 1, rng.randint(2, 8)))
        alias = "t"
        select = [f"{alias}.{q(c.name)}" for c in picked]
        joins = ""
        fks = [c for c in table.columns if c.fk is not None]
        if fks and rng.random() < 0.5:
            fk = rng.choice(fks)
            parent = fk.fk
            plabel = parent.col("name") or parent.col("title")
            if plabel is not None:
                kind = "LEFT JOIN" if fk.nullable else "JOIN"
                joins = f"\n{kind} {ctx.t(parent)} p ON p.{q(parent.pk.name)} = {alias}.{q(fk.name)}"
                select.append(f"p.{q(plabel.name)} AS {q(camel(parent.singular) + 'Name' if table.style == 'prisma' else parent.singular + '_name')}")
                plabel.pinned = True
        where = ""
        deleted = table.col("deleted_at")
        if deleted is not None and rng.random() < 0.6:
            where = f"\nWHERE {alias}.{q(deleted.name)} IS NULL"
            deleted.pinned = True
        for c in picked:
            c.pinned = True
        opts = rng.choice(["WITH (security_invoker = true) ", "WITH (security_invoker = true) ", "WITH (security_invoker) ",
                           "WITH (security_invoker = on, security_barrier = true) "])
        replace = "OR REPLACE " if rng.random() < 0.3 else ""
        vref = ctx.fn(table.schema, q(vname))
        ctx.stmt(f"CREATE {replace}VIEW {vref}\n{opts}AS\nSELECT\n{ctx.indent}" + f",\n{ctx.indent}".join(select)
                 + f"\nFROM {ctx.t(table)} {alias}{joins}{where}")
        if rng.random() < 0.8:
            ctx.stmt(f"GRANT SELECT ON {vref} TO authenticated")
        if rng.random() < 0.4:
            ctx.stmt(f"COMMENT ON VIEW {vref} IS {lit('Read model for the ' + table.label() + ' list; it''s security_invoker so RLS applies.')}")

    def aggregate_view(self, ctx: FileCtx, table: Table):
        q = ctx.q
        if table.owner is None:
            return self.view(ctx, table)
        vname = self.claim(table.schema, f"{table.singular.lower()}_totals" if table.style == "snake" else f"{table.name}Totals")
        owner = table.owner
        created = table.col("created_at")
        cols = [f"{q(owner.name)}", "count(*) AS total", f"max({q(created.name)}) AS last_created_at"]
        status = table.col("status")
        if status is not None and status.choices:
            first = status.choices[0]
            cols.append(f"count(*) FILTER (WHERE {q(status.name)} = {lit(first)}) AS {q(first.lower() + '_count')}")
            status.pinned = True
        money = table.col("price") or table.col("amount_cents") or table.col("amount")
        if money is not None:
            cols.append(f"coalesce(sum({q(money.name)}), 0) AS {q('total_' + money.name.lower())}")
            money.pinned = True
        created.pinned = True
        vref = ctx.fn(table.schema, q(vname))
        ctx.stmt(f"CREATE VIEW {vref} WITH (security_invoker = true) AS\nSELECT {', '.join(cols)}\n"
                 f"FROM {ctx.t(table)}\nGROUP BY {q(owner.name)}")
        ctx.stmt(f"GRANT SELECT ON {vref} TO authenticated")

    # -- ALTERs ---------------------------------------------------------------------

    def alter_table(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        T = ctx.t(table)
        actions = rng.choice([["add"], ["add", "add"], ["add", "default"], ["check"], ["add", "index"], ["drop"],
                              ["add", "add", "add"], ["default"], ["fk"]])
        for action in actions:
            if action == "add":
                kinds = self.pick_kinds(1, {c.kind for c in table.columns} | {"window", "geo"} | ({"search"} if rng.random() < 0.7 else set()))
                if not kinds:
                    continue
                self.pending_types = []
                columns = self.make_columns(table, kinds[0], adding=True, file_ctx=ctx)
                if not columns:
                    continue
                self.emit_pending_types(ctx)
                for column in columns:
                    if table.has(column.name):
                        continue
                    column.added = True
                    if_not = "IF NOT EXISTS " if rng.random() < 0.5 else ""
                    if ctx.style == "prisma" or table.style == "prisma":
                        column.check = None
                    ddl = self.column_sql(ctx, table, column)  # drizzle: UNIQUE comes separately
                    ctx.stmt(f"ALTER TABLE {T} ADD COLUMN {if_not}{ddl}")
                    if ctx.style == "drizzle" and column.unique:
                        cname = self.claim(table.schema, self.constraint_name(table, f"{table.name}_{column.name}_unique"))
                        ctx.stmt(f"ALTER TABLE {T} ADD CONSTRAINT {q(cname)} UNIQUE({q(column.name)})")
                    elif table.style == "prisma" and column.unique:
                        iname = self.index_name(table, [column.name], "key")
                        ctx.stmt(f"CREATE UNIQUE INDEX {q(iname)} ON {T}({q(column.name)})")
                    table.columns.append(column)
            elif action == "default":
                column = next((c for c in table.columns if c.kind in ("status", "locale", "priority", "is_active", "currency")), None)
                if column is None:
                    continue
                value = {"status": lit(column.choices[-1]) if column.choices else None, "locale": "'en'", "priority": "5",
                         "is_active": "false", "currency": "'EUR'"}[column.kind]
                if value is None:
                    continue
                column.default = value
                ctx.stmt(f"ALTER TABLE {T} ALTER COLUMN {q(column.name)} SET DEFAULT {value}")
            elif action == "check" and table.style == "snake":
                label = table.col("name") or table.col("title")
                cname = self.constraint_name(table, f"{table.name}_{label.name}_length")
                label.pinned = True
                valid = " NOT VALID" if rng.random() < 0.4 else ""
                ctx.stmt(f"ALTER TABLE {T}\n{ctx.indent}ADD CONSTRAINT {q(cname)} CHECK (char_length({q(label.name)}) <= 500){valid}")
                if valid and rng.random() < 0.6:
                    ctx.stmt(f"ALTER TABLE {T} VALIDATE CONSTRAINT {q(cname)}")
            elif action == "index" and table.style == "snake":
                self.emit_indexes(ctx, table, 1)
            elif action == "drop":
                droppable = [c for c in table.columns if c.added and not c.pinned and c.fk is None and not c.generated
                             and not c.unique]
                if droppable and rng.random() < 0.7:
                    column = rng.choice(droppable)
                    table.columns.remove(column)
                    ctx.stmt(f"ALTER TABLE {T} DROP COLUMN {q(column.name)}")
                else:
                    ctx.stmt(f"ALTER TABLE {T} DROP COLUMN IF EXISTS {q('legacy_' + rng.choice(WORDS))}")
            elif action == "fk":
                parents = [t for t in self.tables if t is not table and not t.internal and t.schema == "public"]
                if not parents:
                    continue
                parent = rng.choice(parents)
                col_name = (camel(parent.singular) + "Id") if table.style == "prisma" else f"{parent.singular}_id"
                if table.has(col_name):
                    continue
                ctype = {"uuid": "uuid", "identity": "bigint", "identity_default": "bigint", "serial": "integer",
                         "bigserial": "bigint", "text": "text"}[parent.pk_kind]
                column = Column(col_name, "fk", ctype)
                column.fk, column.on_delete, column.added, column.pinned = parent, "SET NULL", True, True
                parent.children += 1
                cname = self.constraint_name(table, f"{table.name}_{col_name}_fkey")
                ctx.stmt(f"ALTER TABLE {T} ADD COLUMN {q(col_name)} {ctype}")
                ctx.stmt(f"ALTER TABLE {T}\n{ctx.indent}ADD CONSTRAINT {q(cname)} FOREIGN KEY ({q(col_name)})\n"
                         f"{ctx.indent}REFERENCES {ctx.t(parent)} ({q(parent.pk.name)}) ON DELETE SET NULL")
                table.columns.append(column)
                if rng.random() < 0.6:
                    name = self.index_name(table, [col_name])
                    ctx.stmt(f"CREATE INDEX {q(name)} ON {T} ({q(col_name)})")

    def data_migration(self, ctx: FileCtx, table: Table):
        rng = self.rng
        q = ctx.q
        T = ctx.t(table)
        status = table.col("status")
        meta = table.col("metadata")
        if status is not None and status.choices and rng.random() < 0.6:
            src, dst = status.choices[0], status.choices[-1]
            created = table.col("created_at")
            ctx.stmt(f"UPDATE {T}\nSET {q(status.name)} = {lit(dst)}\nWHERE {q(status.name)} = {lit(src)}\n"
                     f"{ctx.indent}AND {q(created.name)} < {self.timestamp_value()}")
        elif meta is not None:
            ctx.stmt(f"UPDATE {T} SET {q(meta.name)} = {q(meta.name)} || '{{\"migrated\": true}}'::jsonb WHERE NOT ({q(meta.name)} ? 'migrated')")
        elif table.col("deleted_at") is not None and table.children == 0:
            deleted = table.col("deleted_at")
            table.seed_ids = []  # some seeded rows are gone: children must not point at them
            ctx.stmt(f"DELETE FROM {T}\nWHERE {q(deleted.name)} IS NOT NULL\n{ctx.indent}AND {q(deleted.name)} < now() - interval '400 days'")
        else:
            label = table.col("name") or table.col("title")
            ctx.stmt(f"UPDATE {T} SET {q(label.name)} = btrim({q(label.name)}) WHERE {q(label.name)} <> btrim({q(label.name)})")

    # -- seed data --------------------------------------------------------------------

    def seedable(self, table: Table):
        if table.internal:
            return False
        for column in table.columns:
            if column.fk is not None and not column.nullable and column.fk is not table and not column.fk.seed_ids:
                return False
        return True

    def value(self, table: Table, column: Column, row: dict):
        rng = self.rng
        kind = column.kind
        prisma = table.style == "prisma"
        if column.nullable and kind not in ("window_end",) and rng.random() < 0.12:
            return "NULL"
        n = table.rows + 1
        if kind == "pk":
            if table.pk_kind == "uuid":
                return lit(self.uuid_value())
            return lit(self.cuid_value())
        if kind == "owner":
            return lit(rng.choice(self.user_ids))
        if kind == "fk":
            parent = column.fk
            if parent is table or not parent.seed_ids:
                return "NULL"
            return rng.choice(parent.seed_ids)
        if kind == "name":
            return lit(self.product_name())
        if kind == "title":
            return lit(self.phrase(2, 8))
        if kind in ("description", "notes"):
            text = self.sentences(rng.randint(1, 4))
            if rng.random() < 0.08:
                text += "\nSecond line; imported from the old system."
            return lit(text)
        if kind == "body":
            return lit(self.sentences(rng.randint(2, 6)))
        if kind == "slug":
            return lit(f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{n}")
        if kind == "email":
            first, last = rng.choice(FIRST), rng.choice(LAST)
            return lit(f"{first.lower()}.{re.sub(r'[^a-z]', '', last.lower())}{n}@{rng.choice(EMAIL_DOMAINS)}")
        if kind == "status":
            return lit(rng.choice(column.choices))
        if kind in ("price",):
            return f"{rng.uniform(0, 2500):.2f}"
        if kind == "amount":
            return f"{rng.uniform(-500, 50000):.2f}"
        if kind == "quantity":
            return str(rng.randint(1, 40))
        if kind in ("metadata", "settings", "payload"):
            return self.json_value()
        if kind == "tags":
            picks = rng.sample(WORDS, rng.randint(0, 4))
            if prisma or rng.random() < 0.5:
                return "ARRAY[" + ", ".join(lit(p) for p in picks) + "]::text[]" if picks else "'{}'"
            return lit("{" + ",".join(picks) + "}")
        if kind == "is_active":
            return rng.choice(["true", "false", "true"])
        if kind == "position":
            return str(n)
        if kind == "rating":
            return str(rng.randint(1, 5))
        if kind == "amount_cents":
            return str(rng.randint(0, 9_999_999))
        if kind == "currency":
            return lit(rng.choice(CURRENCIES))
        if kind == "due_date":
            return lit((dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(900))).isoformat())
        if kind == "window_start":
            moment = dt.datetime(2023, 1, 1) + dt.timedelta(minutes=rng.randrange(1_000_000))
            row["_start"] = moment
            return lit(moment.strftime("%Y-%m-%d %H:%M:%S" + ("" if prisma else "+00")))
        if kind == "window_end":
            if rng.random() < 0.15 or "_start" not in row:
                return "NULL"
            moment = row["_start"] + dt.timedelta(minutes=rng.randint(15, 6000))
            return lit(moment.strftime("%Y-%m-%d %H:%M:%S" + ("" if prisma else "+00")))
        if kind == "ip_address":
            return lit(f"192.0.2.{rng.randint(1, 254)}" if rng.random() < 0.8 else f"2001:db8::{rng.randint(1, 9999):x}")
        if kind == "color":
            return lit("#" + "".join(rng.choice("0123456789abcdef") for _ in range(6)))
        if kind == "external_id":
            return lit(f"ext_{rng.choice(['stripe', 'hubspot', 'shopify', 'zendesk'])}_{n}_{rng.getrandbits(32):08x}")
        if kind == "locale":
            return lit(rng.choice(LOCALES))
        if kind == "score":
            return f"{rng.uniform(0, 100):.4f}"
        if kind in ("version", "attempts", "counter"):
            return str(rng.randint(1 if kind == "version" else 0, 30))
        if kind in ("deleted_at", "published_at", "expires_at", "last_seen_at", "created_at", "updated_at"):
            if kind == "deleted_at" and rng.random() < 0.7:
                return "NULL"
            if not prisma and rng.random() < 0.05:
                return f"now() - interval '{rng.randint(1, 300)} days'"
            return self.timestamp_value(tz=not prisma)
        if kind == "url":
            return lit(f"https://{rng.choice(WORDS)}.{rng.choice(EMAIL_DOMAINS)}/{rng.choice(NOUNS)}/{n}")
        if kind == "phone":
            return lit(f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}")
        if kind == "country_code":
            return lit(rng.choice(COUNTRIES))
        if kind == "latitude":
            return f"{rng.uniform(-89, 89):.6f}"
        if kind == "longitude":
            return f"{rng.uniform(-179, 179):.6f}"
        if kind == "priority":
            return str(rng.randint(0, 10))
        if kind == "duration":
            return lit(f"{rng.randint(5, 240)} minutes")
        raise ValueError(kind)

    def insert_statement(self, ctx: FileCtx, table: Table, rows: int, max_bytes: int):
        rng = self.rng
        q = ctx.q
        columns = []
        for column in table.columns:
            if not column.insertable or column.generated:
                continue
            required = column.pk or column.kind == "owner" or (not column.nullable and column.default is None)
            if required or rng.random() < 0.8:
                columns.append(column)
        values = []
        new_ids = []
        size = 0
        for _ in range(rows):
            if size >= max_bytes:
                break
            row = {}
            rendered = []
            for column in columns:
                text = self.value(table, column, row)
                if column.pk:
                    new_ids.append(text)
                rendered.append(text)
            table.rows += 1
            if not table.pk.insertable:
                new_ids.append(str(table.rows))
            values.append("(" + ", ".join(rendered) + ")")
            size += len(values[-1]) + 4
        collist = ", ".join(q(c.name) for c in columns)
        conflict = ""
        if table.pk.insertable and rng.random() < 0.2:
            conflict = f"\nON CONFLICT ({q(table.pk.name)}) DO NOTHING" if rng.random() < 0.5 else "\nON CONFLICT DO NOTHING"
        sep = ",\n" + ctx.indent
        ctx.stmt(f"INSERT INTO {ctx.t(table)} ({collist}) VALUES\n{ctx.indent}" + sep.join(values) + conflict)
        table.seed_ids.extend(new_ids)
        if len(table.seed_ids) > 400:
            del table.seed_ids[: len(table.seed_ids) - 400]

    def seed_block(self, ctx: FileCtx, budget: int):
        rng = self.rng
        tables = [t for t in self.tables if self.seedable(t)]
        if not tables:
            return None
        start = sum(len(p) for p in ctx.parts)
        picks = rng.sample(tables, min(len(tables), rng.randint(1, 4)))
        if rng.random() < 0.4:
            ctx.comment(rng.choice(["Seed data", "Reference data for local development; safe to re-run",
                                    "Backfill from the legacy export (rows de-duplicated by hand)"]))
        i = 0
        while True:
            left = budget - (sum(len(p) for p in ctx.parts) - start)
            if left < 300:
                break
            table = picks[i % len(picks)]
            i += 1
            if not self.seedable(table):
                continue
            self.insert_statement(ctx, table, rng.randint(15, 160), left)
            if i > 400:
                break
        return picks[0]

    # -- files ------------------------------------------------------------------------

    def first_file(self):
        ctx = FileCtx(self, "supabase")
        ctx.lower = True
        ctx.qualify = True
        i = ctx.indent
        ctx.block_comment("Initial schema setup.\n\nCreates the private schema for helpers, the shared trigger\n"
                          "functions and the audit log, and sets default privileges so that tables created\n"
                          "later are reachable by the `authenticated` role through the Data API.")
        ctx.stmt("create schema if not exists private")
        ctx.stmt("grant usage on schema public to authenticated")
        ctx.stmt("alter default privileges in schema public grant select, insert, update, delete on tables to authenticated")
        ctx.stmt("alter default privileges in schema public grant usage, select on sequences to authenticated")
        ctx.comment("keep updated_at current on every UPDATE")
        ctx.stmt(f"create or replace function public.set_updated_at()\nreturns trigger\nlanguage plpgsql\nas $$\nbegin\n"
                 f"{i}new.updated_at := now();\n{i}return new;\nend;\n$$")
        ctx.stmt(f'create or replace function public.set_updated_at_camel()\nreturns trigger\nlanguage plpgsql\nas $$\nbegin\n'
                 f'{i}new."updatedAt" := now();\n{i}return new;\nend;\n$$')
        ctx.stmt(f"create or replace function public.bump_version()\nreturns trigger\nlanguage plpgsql\nas $$\nbegin\n"
                 f"{i}if new.version is not distinct from old.version then\n{i}{i}new.version := old.version + 1;\n{i}end if;\n"
                 f"{i}return new;\nend;\n$$")
        self.functions.update({"set_updated_at", "set_updated_at_camel", "bump_version", "audit_row_change"})
        audit = Table("public", "audit_log", "audit_log", "snake")
        audit.internal = True
        self.names.add(("public", "audit_log"))
        self.names.add(("private", "audit_log"))
        ctx.stmt("create table public.audit_log (\n"
                 f"{i}id bigint generated always as identity primary key,\n"
                 f"{i}table_name text not null,\n"
                 f"{i}operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),\n"
                 f"{i}row_id text,\n"
                 f"{i}row_data jsonb,\n"
                 f"{i}actor_id text default (auth.user_id()),\n"
                 f"{i}created_at timestamptz not null default now()\n)")
        ctx.stmt("alter table public.audit_log enable row level security")
        ctx.stmt("create index audit_log_table_name_created_at_idx on public.audit_log (table_name, created_at desc)")
        self.names.add(("public", "audit_log_table_name_created_at_idx"))
        ctx.stmt("revoke all on table public.audit_log from authenticated")
        ctx.stmt(
            "create or replace function public.audit_row_change()\nreturns trigger\nlanguage plpgsql\n"
            "security definer\nset search_path = ''\nas $$\ndeclare\n"
            f"{i}v_row jsonb;\nbegin\n"
            f"{i}if tg_op = 'DELETE' then\n{i}{i}v_row := to_jsonb(old);\n{i}else\n{i}{i}v_row := to_jsonb(new);\n{i}end if;\n"
            f"{i}insert into public.audit_log (table_name, operation, row_id, row_data)\n"
            f"{i}values (tg_table_name, tg_op, v_row ->> 'id', v_row);\n"
            f"{i}return coalesce(new, old);\nend;\n$$")
        ctx.stmt("comment on table public.audit_log is 'Append-only change log; written by the audit_row_change() trigger, never by clients.'")
        self.tables.append(audit)
        for _ in range(2):
            self.table_bundle(ctx)
        return "init_schema", ctx

    def remote_schema_dump(self):
        """What `supabase db pull` writes: every public table again, fully qualified, IF NOT EXISTS."""
        ctx = FileCtx(self, "supabase")
        ctx.lower = False
        ctx.quote_all = True
        ctx.qualify = True
        ctx.indent = "    "
        q = ctx.q
        for setting in ["statement_timeout = 0", "lock_timeout = 0", "idle_in_transaction_session_timeout = 0",
                        "client_encoding = 'UTF8'", "standard_conforming_strings = on"]:
            ctx.stmt(f"SET {setting}")
        ctx.stmt("SELECT pg_catalog.set_config('search_path', '', false)")
        for setting in ["check_function_bodies = false", "xmloption = content", "client_min_messages = warning",
                        "row_security = off"]:
            ctx.stmt(f"SET {setting}")
        ctx.parts.append("\n")
        ctx.stmt('COMMENT ON SCHEMA "public" IS \'standard public schema\'')
        ctx.stmt('SET default_tablespace = \'\'')
        ctx.stmt("SET default_table_access_method = \"heap\"")
        tables = [t for t in self.user_tables() if t.schema == "public"]
        for table in tables:
            lines = []
            for column in table.columns:
                ctype = column.sqltype
                if column.enum is not None:
                    ctype = f'"{column.enum[0]}"."{column.enum[1]}"'
                elif ctype in ("serial", "SERIAL"):
                    ctype = "integer"
                elif ctype == "bigserial":
                    ctype = "bigint"
                parts = [q(column.name), ctype]
                if column.generated:
                    parts.append(column.generated)
                else:
                    if column.default is not None:
                        default = column.default.replace("(auth.user_id())", '"auth"."user_id"()')
                        default = default.replace("gen_random_uuid()", '"gen_random_uuid"()')
                        parts.append("DEFAULT " + default)
                    if not column.nullable:
                        parts.append("NOT NULL")
                    if column.check:
                        parts.append("CONSTRAINT " + q(f"{table.name}_{column.name}_check"[:63]) + " CHECK ("
                                     + column.check.replace("{c}", q(column.name)) + ")")
                lines.append(ctx.indent + " ".join(parts))
            ctx.stmt(f"CREATE TABLE IF NOT EXISTS {ctx.t(table)} (\n" + ",\n".join(lines) + "\n)")
            ctx.stmt(f'ALTER TABLE {ctx.t(table)} OWNER TO "postgres"')
        for table in tables:
            if table.rls:
                ctx.stmt(f"ALTER TABLE {ctx.t(table)} ENABLE ROW LEVEL SECURITY")
        ctx.stmt('GRANT USAGE ON SCHEMA "public" TO "postgres"')
        ctx.stmt('GRANT USAGE ON SCHEMA "public" TO "authenticated"')
        for table in tables:
            ctx.stmt(f"GRANT ALL ON TABLE {ctx.t(table)} TO \"authenticated\"")
            ctx.stmt(f"GRANT ALL ON TABLE {ctx.t(table)} TO \"postgres\"")
        ctx.stmt('ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "public" GRANT ALL ON SEQUENCES  TO "authenticated"')
        ctx.stmt('ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "public" GRANT ALL ON TABLES  TO "authenticated"')
        ctx.stmt("RESET ALL")
        return "remote_schema", ctx

    def next_timestamp(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            step = dt.timedelta(seconds=rng.randint(30, 3600))
        elif roll < 0.8:
            step = dt.timedelta(hours=rng.randint(1, 12))
        else:
            step = dt.timedelta(days=rng.randint(1, 3), seconds=rng.randint(0, 86399))
        self.clock += step
        return self.clock.strftime("%Y%m%d%H%M%S")

    def pick(self, pool):
        return self.rng.choice(pool)

    def user_tables(self):
        return [t for t in self.tables if not t.internal]

    def build_file(self, index):
        rng = self.rng
        if index == 0:
            return self.first_file()
        tables = self.user_tables()
        roll = rng.random()
        if index < 8 or len(tables) < 4:
            kind = "create"
        elif index == self.files * 3 // 20 and self.files >= 50:
            return self.remote_schema_dump()
        elif roll < 0.46:
            kind = "create"
        elif roll < 0.58:
            kind = "alter"
        elif roll < 0.66:
            kind = "seed"
        elif roll < 0.82:
            kind = "function"
        elif roll < 0.87:
            kind = "view"
        elif roll < 0.92:
            kind = "rls"
        elif roll < 0.96:
            kind = "index"
        elif roll < 0.98:
            kind = "comment"
        else:
            kind = "data"
        style_roll = rng.random()
        style = "supabase" if style_roll < 0.6 else ("drizzle" if style_roll < 0.82 else "prisma")
        if kind not in ("create", "alter", "seed") and style == "prisma":
            style = "supabase"
        ctx = FileCtx(self, style)
        recent = tables[-80:]
        wrap = style == "supabase" and rng.random() < 0.15

        if style == "supabase" and rng.random() < 0.35:
            ctx.comment(rng.choice([
                f"Migration {index}: see ticket #{rng.randint(100, 9999)}",
                "Generated by `supabase db diff`, then edited by hand",
                f"Author: {rng.choice(FIRST).lower()}@example.com\nReviewed: {rng.choice(FIRST)}",
            ]))
        if wrap:
            ctx.stmt("BEGIN")

        name = kind
        if kind == "create":
            count = rng.choice([1, 2, 3, 4, 4, 5, 5, 6, 7, 8])
            made = [self.table_bundle(ctx) for _ in range(count)]
            name = "create_" + made[0].name.lower()
            if style != "prisma":
                for table in made:
                    for _ in range(rng.choice([0, 1, 1, 2])):
                        self.random_function(ctx, table)
                    if rng.random() < 0.15:
                        self.view(ctx, table)
            if rng.random() < 0.25:
                self.seed_block(ctx, rng.randint(500, 4000))
        elif kind == "alter":
            targets = rng.sample(tables, min(len(tables), rng.choice([1, 1, 2, 3])))
            for table in targets:
                self.alter_table(ctx, table)
            name = "alter_" + targets[0].name.lower()
        elif kind == "seed":
            name = "seed_data"
        elif kind == "function":
            table = self.pick(recent)
            name = self.random_function(ctx, table)
            for _ in range(rng.choice([1, 2, 2, 3, 4, 5, 6, 7])):
                self.random_function(ctx, self.pick(tables))
        elif kind == "view":
            table = self.pick(recent)
            if rng.random() < 0.5:
                self.view(ctx, table)
            else:
                self.aggregate_view(ctx, table)
            name = f"{table.singular.lower()}_views"
        elif kind == "rls":
            missing = [t for t in tables if t.schema == "public" and not t.rls]
            targets = missing[:rng.randint(1, 3)] if missing and rng.random() < 0.85 else rng.sample(tables, 1)
            for table in targets:
                if table.schema != "public":
                    continue
                if rng.random() < 0.8:
                    ctx.comment(f"Lock down {table.name}")
                self.emit_rls(ctx, table, force_policies=(None if table.rls is False or rng.random() < 0.5 else False))
                if rng.random() < 0.85:
                    self.emit_grants(ctx, table)
            name = f"rls_{targets[0].name.lower()}"
        elif kind == "index":
            targets = rng.sample(recent, min(len(recent), rng.randint(1, 3)))
            for table in targets:
                self.emit_indexes(ctx, table, rng.randint(1, 3))
            name = f"index_{targets[0].name.lower()}"
        elif kind == "comment":
            targets = rng.sample(tables, min(len(tables), rng.randint(1, 4)))
            for table in targets:
                self.emit_comments(ctx, table, rng.randint(1, 6))
            name = f"document_{targets[0].name.lower()}"
        else:
            targets = rng.sample(tables, min(len(tables), rng.randint(1, 3)))
            for table in targets:
                self.data_migration(ctx, table)
            name = f"backfill_{targets[0].name.lower()}"

        if kind == "seed":
            # seed files soak up whatever the running total is short of the target
            want = self.target_bytes * (index + 1) / self.files - self.total_bytes
            budget = int(max(1500, min(want, 600_000)) * rng.uniform(0.85, 1.15))
            first = self.seed_block(ctx, budget)
            if first is not None:
                name = f"seed_{first.singular.lower()}_data"
        if ctx.statements == (1 if wrap else 0):
            self.table_bundle(ctx)  # nothing fitted: make it a CREATE TABLE file after all
        if wrap:
            ctx.stmt("COMMIT")
        name = re.sub(r"[^a-z0-9_]", "", name.lower())[:48] or "migration"
        return name, ctx

    def generate(self, out_dir):
        mig = os.path.join(out_dir, "supabase", "migrations")
        if os.path.isdir(mig):
            shutil.rmtree(mig)
        os.makedirs(mig)
        for index in range(self.files):
            name, ctx = self.build_file(index)
            text = ctx.text()
            stamp = self.next_timestamp()
            filename = f"{stamp}_{name}.sql"
            data = text.encode("utf-8")
            with open(os.path.join(mig, filename), "wb") as fh:
                fh.write(data)
            self.total_bytes += len(data)
            self.statements += ctx.statements
            self.seed_bytes += sum(len(p.encode("utf-8")) for p in ctx.parts if p.lstrip().upper().startswith("INSERT INTO"))
        return mig


# ---------------------------------------------------------------------------------------
# Optional check against a real PostgreSQL


def pg_check(mig_dir, limit, host, user):
    """Apply the first `limit` files (all when None) to a scratch database, then drop it."""
    db = f"neonlint_bench_check_{os.getpid()}"
    base = ["-h", host, "-U", user]
    subprocess.run(["createdb", *base, db], check=True)
    try:
        setup = (
            "DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
            "CREATE SCHEMA auth;\n"
            "CREATE FUNCTION auth.user_id() RETURNS text LANGUAGE sql STABLE AS "
            "$$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '') $$;\n"
            "GRANT USAGE ON SCHEMA auth TO authenticated;\n"
        )
        subprocess.run(["psql", *base, "-d", db, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-c", setup], check=True,
                       stdout=subprocess.DEVNULL)
        files = sorted(f for f in os.listdir(mig_dir) if f.endswith(".sql"))
        if limit is not None:
            files = files[:limit]
        for start in range(0, len(files), 100):
            chunk = files[start:start + 100]
            args = []
            for f in chunk:
                args += ["-f", os.path.join(mig_dir, f)]
            proc = subprocess.run(["psql", *base, "-d", db, "-q", "-X", "-v", "ON_ERROR_STOP=1",
                                   "-c", "SET client_min_messages = warning", *args],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                raise SystemExit(f"pg-check: applying files {start + 1}..{start + len(chunk)} failed")
            print(f"pg-check: applied {start + len(chunk)}/{len(files)} files", file=sys.stderr)
        print(f"pg-check: OK, {len(files)} files applied cleanly to PostgreSQL", file=sys.stderr)
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", db], check=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="the corpus goes to OUT_DIR/supabase/migrations (replaced if present), "
                        "its parameters and counts to OUT_DIR/corpus.json")
    parser.add_argument("--files", type=int, default=2000, help="number of migration files (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--size-mb", type=float, default=None,
                        help="target total size in MB of 10^6 bytes (default 12 KB per file: 24 MB for 2000 files)")
    parser.add_argument("--pg-check", nargs="?", const=-1, type=int, metavar="N",
                        help="apply the first N files (all without N) to a scratch PostgreSQL database")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-user", default="postgres")
    args = parser.parse_args(argv)
    if args.files < 1:
        parser.error("--files must be at least 1")
    size_mb = args.size_mb if args.size_mb is not None else 0.012 * args.files
    gen = Generator(args.seed, args.files, int(size_mb * 1_000_000))
    mig = gen.generate(args.out_dir)
    tables = len(gen.user_tables())
    with open(__file__, "rb") as fh:
        generator_sha = hashlib.sha256(fh.read()).hexdigest()
    stats = {
        "files": args.files, "seed": args.seed, "size_mb": size_mb, "generator_sha256": generator_sha,
        "bytes": gen.total_bytes, "statements": gen.statements, "tables": tables,
        "seed_insert_bytes": gen.seed_bytes, "migrations_dir": "supabase/migrations",
    }
    with open(os.path.join(args.out_dir, "corpus.json"), "w") as fh:
        json.dump(stats, fh, indent=2)
        fh.write("\n")
    print(f"wrote {args.files} files to {mig}")
    print(f"total size: {gen.total_bytes} bytes ({gen.total_bytes / 1e6:.2f} MB, {gen.total_bytes / 2**20:.2f} MiB)")
    print(f"statements: {gen.statements}")
    print(f"tables: {tables}, seed INSERT bytes: {gen.seed_bytes / max(gen.total_bytes, 1):.0%} of the total", flush=True)
    if args.pg_check is not None:
        pg_check(mig, None if args.pg_check < 0 else args.pg_check, args.pg_host, args.pg_user)


if __name__ == "__main__":
    main()
