"""One run's files: what to render, what to take from the last run, formatting, headers.

The order is the pipeline's: the plan of jobs (`render.jobs`), reuse decided before rendering (a
per-model file whose inputs did not change is taken from disk, an existing user file is never
rendered), the pure render (`render.Renderer`), reuse decided after it (a render identical to the
last one is not formatted again), the formatter, the ownership headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cache import RenderCache, render_hash
from .formatting import Progress, allow_long_names, format_all
from .ir import QueryFile, Schema
from .outputs import USER_PACKAGE, OutputFile, user_module_path
from .render import Job, Renderer, jobs, with_header
from .settings import Settings
from .views import model as model_views


@dataclass(frozen=True, slots=True)
class _Pending:
    """A rendered file waiting to be formatted."""

    path: str
    body: str
    source: str
    python: bool
    entity: str = ""
    input: str = ""
    user: bool = False


def produce(
    schema: Schema,
    settings: Settings,
    cache: RenderCache | None = None,
    progress: Progress | None = None,
    queries: tuple[QueryFile, ...] = (),
    extend: frozenset[str] = frozenset(),
) -> list[OutputFile]:
    """Every output file's final text (formatted, with its header), sorted by path.

    With a `cache` (see `sublimate.cache`), a per-model file whose inputs did not change is taken
    from disk without rendering, a render identical to the last one is not formatted again, and
    a user file that exists is not rendered at all. `extend` names the models to write a user
    module for (`sublimate extend`); a model that has one on disk keeps it.
    """
    if cache is None:
        cache = RenderCache.for_run(
            schema,
            settings.out_dir,
            None,
            formatter=settings.formatter,
            line_length=settings.line_length,
            enabled=False,
            sessions=settings.sessions,
            nested_depth=settings.nested_depth,
        )
    extended = frozenset(
        e.name for e in schema.entities if e.name in extend or cache.exists(user_module_path(e))
    )
    renderer = Renderer(schema, settings, extended)
    files: list[OutputFile] = []
    pending: list[_Pending] = []
    planned = jobs(schema, settings, queries, extended, cache.exists(USER_PACKAGE.path))
    for number, job in enumerate(planned, 1):
        if progress is not None and job.entity is not None:
            progress(f"rendering {job.path.split('/')[0]}", number, len(planned))
        key = _input_key(job, schema, cache, renderer.first_party)
        found = _reused(job, key, cache)
        if found is not None:
            files.append(found)
            continue
        entity = job.entity
        source = schema.source if entity is None else entity.source
        pending.append(
            _Pending(
                job.path,
                renderer.body(job),
                job.query_file.path if job.query_file is not None else source,
                job.output.python or (job.output.user and entity is not None),
                "" if entity is None else entity.name,
                key,
                user=job.output.user,
            )
        )
    files.extend(_formatted(pending, settings, cache, progress))
    return sorted(files, key=lambda f: f.path)


def _input_key(job: Job, schema: Schema, cache: RenderCache, first_party: frozenset[str]) -> str:
    """What the render of a per-model generated file depends on (a user module has no key)."""
    entity = job.entity
    if entity is None or job.output.user:
        return ""
    related = model_views.neighbours(entity, schema) if job.output.reads_schema else None
    if related is not None and cache.fingerprint.nested_depth > 1:
        # A second-level nested DTO names its neighbour's own (`OrderLineReadWithProduct`), whose
        # name follows the neighbour's Load paths, which read the neighbour's neighbours.
        by_name = {e.name: e for e in schema.entities}
        related = related + [
            far
            for name in related
            if name in by_name
            for far in model_views.neighbours(by_name[name], schema)
        ]
    return cache.input_key(job.output.template, job.path, entity, first_party, related=related)


def _reused(job: Job, key: str, cache: RenderCache) -> OutputFile | None:
    """The file as the last run left it, when it need not be rendered again."""
    entity = job.entity
    if job.output.user:
        if not cache.exists(job.path):
            return None
        if entity is None:
            return OutputFile(path=job.path, content="", source="", user=True)
        return OutputFile(
            path=job.path, content="", source=entity.source, entity=entity.name, user=True
        )
    if entity is None:
        return None
    reused = cache.by_input(job.path, key)
    if reused is None:
        return None
    return OutputFile(
        path=job.path,
        content=reused,
        source=entity.source,
        entity=entity.name,
        render=cache.records[job.path].render,
        input=key,
    )


def _formatted(
    pending: list[_Pending], settings: Settings, cache: RenderCache, progress: Progress | None
) -> list[OutputFile]:
    """Format what was rendered (unless the same render was formatted last time), add headers."""
    cache.stats.rendered += len(pending)
    digests = {item.path: render_hash(item.body, cache.fingerprint) for item in pending}
    formatted: dict[str, str] = {}
    to_format: list[tuple[str, str]] = []
    for item in pending:
        if not item.python:
            formatted[item.path] = item.body
        elif (known := cache.by_render(item.path, digests[item.path])) is not None:
            formatted[item.path] = known
        else:
            to_format.append((item.path, item.body))
    cache.stats.formatted += len(to_format)
    fresh = format_all(to_format, settings.line_length, settings.formatter, progress)
    formatted.update(
        (path, allow_long_names(body, settings.line_length)) for path, body in fresh.items()
    )
    return [
        OutputFile(
            path=item.path,
            content=formatted[item.path]
            if item.user
            else with_header(formatted[item.path], item.source, item.path),
            source=item.source,
            entity=item.entity,
            user=item.user,
            render=digests[item.path],
            input=item.input,
        )
        for item in pending
    ]
