"""`kb new`, interactively: one question per field, each answer checked as it is given.

Only the asking lives here; what counts as a valid answer comes from the content model
(:func:`kb.curation.checks.field_problems`). Taxonomy terms and linked entries are listed with
each question and complete with Tab in a terminal.
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.prompt import Confirm, Prompt
from rich.text import Text

from kb.curation import checks, entries
from kb.entry_types import SLUG
from kb.errors import KbError

if typing.TYPE_CHECKING:
    from kb.content import Content

Ask = Callable[[], Any]


class InputEnded(KbError):
    """The answers ran out (Ctrl-D, or the end of piped input) before the entry was done."""


@contextmanager
def completion(words: list[str]) -> Iterator[None]:
    """Tab-complete ``words`` (the last one typed after a comma) while a question is open."""
    if not words or not sys.stdin.isatty():
        yield
        return
    try:
        import readline
    except ImportError:  # not on every platform; the choices are listed anyway
        yield
        return

    def complete(text: str, state: int) -> str | None:
        matches = [w for w in words if w.startswith(text)]
        return matches[state] if state < len(matches) else None

    old, delims = readline.get_completer(), readline.get_completer_delims()
    readline.set_completer(complete)
    readline.set_completer_delims(" ,")
    readline.parse_and_bind("tab: complete")
    try:
        yield
    finally:
        readline.set_completer(old)
        readline.set_completer_delims(delims)


def split_list(answer: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", answer.strip()) if part]


def _literal_choices(annotation: Any) -> list[str] | None:
    """The allowed strings of ``Literal[...]`` (or ``Literal[...] | None``), else None."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    for arg in typing.get_args(annotation):
        found = _literal_choices(arg) if arg is not type(None) else None
        if found:
            return found
    return None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


class Form:
    """Asks for the fields of one entry type that ``given`` does not already hold."""

    def __init__(self, console: Console, entry_type: str, content: Content, given: dict[str, Any]):
        from kb.models import ENTRY_MODELS

        self.console = console
        self.entry_type = entry_type
        self.content = content
        self.given = dict(given)
        self.model = ENTRY_MODELS[entry_type]

    # --- the order of questions ------------------------------------------------------

    def field_order(self) -> list[str]:
        """Title, id and summary first; then what this type adds; then the common rest."""
        from kb.models import EntryBase

        own = [f for f in self.model.model_fields if f not in EntryBase.model_fields and f != "type"]
        tail = ["detail", "themes", "aliases", "sources", "contributor"]
        return ["title", "id", "summary", *own, *tail]

    def run(self) -> dict[str, Any]:
        data = dict(self.given)
        self.console.print(Text(f"New {self.entry_type}: answer each question (blank skips an optional one; Ctrl-C stops, nothing is written).", style="bold"))
        try:
            for name in self.field_order():
                if name in data:
                    continue
                value = self.ask_field(name, data)
                if value not in (None, [], {}):
                    data[name] = value
        except EOFError:
            raise InputEnded("the answers ended before the entry was complete; nothing was written") from None
        return data

    # --- one field -------------------------------------------------------------------

    def ask_field(self, name: str, data: dict[str, Any]) -> Any:
        from kb.content import REFERENCE_FIELDS, reference_choices

        info = self.model.model_fields[name]
        required = info.is_required()
        self.console.print(Text(f"\n{name}" + (" (required)" if required else ""), style="bold cyan"), Text(f"  {info.description or ''}", style="dim"))
        special: dict[str, Ask] = {"sources": self.ask_sources, "outcomes": self.ask_outcomes, "metrics": self.ask_metrics, "items": self.ask_items}
        if name in special:
            return special[name]()
        if name == "id":
            return self.checked(name, lambda: self.text("id", default=entries.slugify(data.get("title", ""))), extra=self.id_free)
        if name in REFERENCE_FIELDS:
            links = reference_choices(self.content, REFERENCE_FIELDS[name])
            return self.checked(name, lambda: split_list(self.text(name, choices=links, many=True)))
        choices = _literal_choices(info.annotation)
        if choices and _is_list(info.annotation):
            return self.checked(name, lambda: split_list(self.text(name, choices=choices, many=True)))
        if choices:
            return self.checked(name, lambda: self.text(name, choices=choices) or None, required=required)
        if _is_list(info.annotation):
            return self.checked(name, lambda: self.lines(name))
        return self.checked(name, lambda: self.text(name) or None, required=required)

    def checked(self, name: str, ask: Ask, required: bool = False, extra: Callable[[Any], list[str]] | None = None) -> Any:
        """Ask until the answer is valid for the field (and present, if required)."""
        while True:
            value = ask()
            if value in (None, "", []):
                if not required and name != "id":
                    return None
                self.problem(f"{name} is required")
                continue
            problems = checks.field_problems(self.entry_type, name, value, self.content) + (extra(value) if extra else [])
            if not problems:
                return value
            for problem in problems:
                self.problem(problem)

    def id_free(self, entry_id: str) -> list[str]:
        taken = entries.existing_entry(self.content.root, entry_id) if SLUG.match(entry_id) else None
        return [f"an entry with id '{entry_id}' already exists ({taken.name}); choose another"] if taken else []

    # --- asking ----------------------------------------------------------------------

    def problem(self, message: str) -> None:
        self.console.print(Text(f"  ✗ {message}", style="red"))

    def text(self, label: str, default: str | None = None, choices: list[str] | None = None, many: bool = False) -> str:
        if choices:
            hint = "one or more, separated by commas" if many else "one of"
            self.console.print(Text(f"  {hint}: {', '.join(choices)}", style="dim"))
        with completion(choices or []):
            if default:
                return Prompt.ask(f"  {label}", console=self.console, default=default).strip()
            return Prompt.ask(f"  {label}", console=self.console, default="", show_default=False).strip()

    def lines(self, label: str) -> list[str]:
        """One item per answer, a blank answer to finish."""
        items: list[str] = []
        while answer := self.text(f"{label} #{len(items) + 1} (blank to finish)"):
            items.append(answer)
        return items

    def number(self, label: str) -> float:
        while True:
            answer = self.text(label)
            try:
                return float(answer.replace(",", ""))
            except ValueError:
                self.problem(f"'{answer}' is not a number (write 53 for 53%, 553000 for £553k)")

    def choice(self, label: str, choices: list[str], default: str | None = None, optional: bool = False) -> str | None:
        while True:
            answer = self.text(label, default=default, choices=choices)
            if (not answer and optional) or answer in choices:
                return answer or None
            self.problem(f"'{answer}' is not one of {', '.join(choices)}")

    # --- the structured fields ---------------------------------------------------------

    def _sub(self, model: Any, data: dict[str, Any]) -> Any | None:
        """Validate one part (a source, a metric); print what is wrong and return None."""
        from pydantic import ValidationError

        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for message in checks.error_messages(exc, model):
                self.problem(message)
            return None

    def ask_sources(self) -> list[dict[str, Any]]:
        from kb.models import SourceRef

        documents = list(self.content.documents)
        sources: list[dict[str, Any]] = []
        while True:
            first = not sources
            document = self.choice("document" + ("" if first else " (blank to finish)"), documents, optional=not first)
            if document is None:
                return sources
            page = self.text("page (a number or range; blank if you cite a section)")
            section = self.text("section (part and heading; blank if you gave a page)")
            data: dict[str, Any] = {"document": document}
            if page:
                data["page"] = int(page) if page.isdigit() else page
            if section:
                data["section"] = section
            if self._sub(SourceRef, data) is not None:
                sources.append(data)

    def ask_outcomes(self) -> dict[str, str]:
        from kb.models import Outcomes

        outcomes = {}
        for aim, info in Outcomes.model_fields.items():
            answer = self.text(f"{aim.replace('_', ' ')} — {info.description} (blank if not reported)")
            if answer:
                outcomes[aim] = answer
        return outcomes

    def ask_metrics(self) -> list[dict[str, Any]]:
        from kb.models import Metric

        fields = Metric.model_fields
        metrics: list[dict[str, Any]] = []
        while measure := self.text(f"metric #{len(metrics) + 1}: what was measured (blank to finish)"):
            data: dict[str, Any] = {"measure": measure}
            data["value"] = self.number("value, the number as given (53 for 53%)")
            data["unit"] = self.choice("unit", _literal_choices(fields["unit"].annotation) or [])
            data["direction"] = self.choice("direction", _literal_choices(fields["direction"].annotation) or [], default="level")
            data["as_reported"] = self.text("as reported (the figure in the source's words)")
            aim = self.choice("aim (blank if none)", _literal_choices(fields["aim"].annotation) or [], optional=True)
            if aim:
                data["aim"] = aim
            if period := self.text("period (blank if not given)"):
                data["period"] = period
            data["estimated"] = Confirm.ask("  does the source call it an estimate?", console=self.console, default=False)
            if self._sub(Metric, data) is not None:
                metrics.append(data)
        return metrics

    def ask_items(self) -> list[dict[str, str]]:
        items: list[dict[str, str]] = []
        while name := self.text(f"part #{len(items) + 1}: name (blank to finish)"):
            item = {"name": name}
            if description := self.text("description (blank for none)"):
                item["description"] = description
            items.append(item)
        return items
