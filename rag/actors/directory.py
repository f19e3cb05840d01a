"""The actor names questions are matched against: places, the names found in the indexed articles and a
maintainer's alias file, re-read when the catalog or the alias file changed."""

from __future__ import annotations

import sys
from pathlib import Path

from rag.actors.names import ActorNames, place_names, read_alias_file
from rag.store.catalog import Catalog

ALIAS_FILE = "actors.yaml"


class ActorDirectory:
    def __init__(self, corpus_dir: Path, catalog: Catalog) -> None:
        self.alias_file = corpus_dir / ALIAS_FILE  # a maintainer's actor aliases (`actor: [name, ...]`)
        self._catalog = catalog
        self._names: tuple[tuple, ActorNames] | None = None  # (what they were read from, names)

    def names(self) -> ActorNames:
        """A broken alias file is reported (and by `check`) and left out, so questions still get answers."""
        committed = self._catalog.hashes()
        stat = self.alias_file.stat() if self.alias_file.is_file() else None
        aliases = (stat.st_mtime_ns, stat.st_size) if stat else None
        if self._names is None or self._names[0][0] is not committed or self._names[0][1] != aliases:
            user = []
            if aliases is not None:
                try:
                    user = read_alias_file(self.alias_file)
                except ValueError as exc:
                    print(f"actor aliases ignored: {exc}", file=sys.stderr)
            self._names = ((committed, aliases), ActorNames([*place_names(), *self._catalog.actor_names(), *user]))
        return self._names[1]
