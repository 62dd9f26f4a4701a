#!/usr/bin/env python3
"""Generate a DDL-dense Supabase-layout migration folder for the neonlint benchmarks.

    python3 bench/gen_ddl_corpus.py OUT_DIR [--files 2000] [--tables-per-file 10] [--seed 1]

writes OUT_DIR/supabase/migrations/<YYYYMMDDHHMMSS>_<name>.sql and OUT_DIR/corpus.json.
Where gen_corpus.py imitates a long-lived project (a third of its bytes are seed INSERTs
that neonlint splits but never parses), this corpus is what a Data API project's schema
migrations look like: every file creates ten tables, each with an identity key and eight
typed columns with defaults and CHECKs, enables row-level security, adds two policies that
call `(select auth.user_id())`, grants to `authenticated`, and attaches a plpgsql trigger
function with its own `search_path`. About 12 KB per file; the output depends only on the
arguments. The owner columns are not indexed, so every table draws NL014: the run reports
tens of thousands of findings, which is what the changed-files filter must handle quickly.

Every file is valid PostgreSQL 15 when the folder is applied in order on a database with
the role `authenticated` and a function `auth.user_id()` returning text.

Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil

COLUMN_KINDS = [
    ("title", "text NOT NULL DEFAULT '' CHECK (length(title) <= 200)"),
    ("body", "text DEFAULT NULL CHECK (body IS NULL OR length(body) <= 10000)"),
    ("amount", "numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0)"),
    ("quantity", "integer NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 0 AND 100000)"),
    ("status", "text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived'))"),
    ("tags", "text[] NOT NULL DEFAULT '{}'::text[]"),
    ("meta", "jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(meta) = 'object')"),
    ("due_on", "date DEFAULT (CURRENT_DATE + 7)"),
    ("is_public", "boolean NOT NULL DEFAULT false"),
    ("rank", "double precision DEFAULT 0.0 CHECK (rank >= 0)"),
    ("created_at", "timestamptz NOT NULL DEFAULT now()"),
]

# CREATE TABLE, ENABLE RLS, two policies, GRANT, CREATE FUNCTION, CREATE TRIGGER.
STATEMENTS_PER_TABLE = 7

NOUNS = [
    "project", "task", "note", "invoice", "order", "message", "document", "comment", "event",
    "payment", "ticket", "review", "booking", "asset", "report", "contact", "lead", "shipment",
]


def table_sql(rng: random.Random, file_no: int, table_no: int) -> str:
    noun = rng.choice(NOUNS)
    name = f"{noun}_{file_no:05d}_{table_no:02d}"
    columns = rng.sample(COLUMN_KINDS, 8)
    lines = ["  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
             "  user_id text NOT NULL DEFAULT (auth.user_id())"]
    lines += [f"  {column} {definition}" for column, definition in columns]
    if not any(column == "created_at" for column, _ in columns):
        lines.append("  created_at timestamptz NOT NULL DEFAULT now()")
    lines.append("  updated_at timestamptz NOT NULL DEFAULT now()")
    table = f"public.{name}"
    return "\n".join([
        f"-- {noun.capitalize()}s of each user ({file_no}.{table_no}).",
        f"CREATE TABLE {table} (\n" + ",\n".join(lines) + "\n);",
        "",
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;",
        "",
        f'CREATE POLICY "{name}_select_own" ON {table} FOR SELECT TO authenticated\n'
        f"  USING ((select auth.user_id()) = user_id);",
        f'CREATE POLICY "{name}_write_own" ON {table} FOR INSERT TO authenticated\n'
        f"  WITH CHECK ((select auth.user_id()) = user_id);",
        "",
        f"GRANT SELECT, INSERT ON {table} TO authenticated;",
        "",
        f"CREATE FUNCTION public.{name}_touch() RETURNS trigger\n"
        f"LANGUAGE plpgsql\nSET search_path = ''\nAS $$\nBEGIN\n"
        f"  NEW.updated_at := now();\n  IF NEW.user_id IS DISTINCT FROM OLD.user_id THEN\n"
        f"    RAISE EXCEPTION 'the owner of a row cannot change; create a new row';\n  END IF;\n"
        f"  RETURN NEW;\nEND;\n$$;",
        "",
        f"CREATE TRIGGER {name}_touch BEFORE UPDATE ON {table}\n"
        f"  FOR EACH ROW EXECUTE FUNCTION public.{name}_touch();",
        "",
    ])


def generate(out_dir: str, files: int, tables_per_file: int, seed: int) -> dict:
    rng = random.Random(seed)
    migrations = os.path.join(out_dir, "supabase", "migrations")
    shutil.rmtree(migrations, ignore_errors=True)
    os.makedirs(migrations)
    with open(os.path.join(out_dir, ".gitignore"), "w") as fh:
        fh.write("*\n")
    stamp = dt.datetime(2023, 1, 1, 9, 0, 0)
    total = 0
    statements = 0
    for file_no in range(files):
        stamp += dt.timedelta(hours=rng.randint(1, 30), seconds=rng.randint(0, 59))
        parts = [table_sql(rng, file_no, table_no) for table_no in range(tables_per_file)]
        text = "\n".join(parts)
        statements += STATEMENTS_PER_TABLE * tables_per_file
        path = os.path.join(migrations, f"{stamp:%Y%m%d%H%M%S}_schema_{file_no:05d}.sql")
        with open(path, "w") as fh:
            fh.write(text)
        total += len(text.encode())
    return {"files": files, "tables_per_file": tables_per_file, "seed": seed, "bytes": total,
            "tables": files * tables_per_file, "statements": statements,
            "migrations_dir": "supabase/migrations"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--tables-per-file", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.files < 1 or args.tables_per_file < 1:
        parser.error("--files and --tables-per-file must be at least 1")
    stats = generate(args.out_dir, args.files, args.tables_per_file, args.seed)
    with open(__file__, "rb") as fh:
        stats["generator_sha256"] = hashlib.sha256(fh.read()).hexdigest()
    with open(os.path.join(args.out_dir, "corpus.json"), "w") as fh:
        json.dump(stats, fh, indent=2)
        fh.write("\n")
    print(f"wrote {args.files} files ({stats['bytes'] / 1e6:.1f} MB, {stats['tables']} tables) "
          f"to {os.path.join(args.out_dir, 'supabase', 'migrations')}")


if __name__ == "__main__":
    main()
