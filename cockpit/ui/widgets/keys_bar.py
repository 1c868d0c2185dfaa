"""The keys bar at the bottom of the screen: the bindings active now, as `key description` pairs.

It stands in for Textual's `Footer`, which leaks in textual 8.2.8: every bindings change
(each focus change, each modal pushed or popped) recomposes the Footer, and each discarded
`FooterKey` stays referenced from the Footer's own watcher list, because
`FooterKey.data_bind(compact=Footer.compact)` registers a watcher on the long-lived Footer
that Textual prunes only when `Footer.compact` changes (never, here). Textualize/textual
issue 6666; measured in bench/README.md (`bench/footer_memory.py`).

This widget has no children: it renders one line from the active bindings, and repaints
only when the pairs it would show differ from what it shows. It reads the same bindings
the Footer did (`Screen.active_bindings`: the focused widget's chain up to the app, the
screen's `check_action` hiding what is refused, `show=False` left out, one key per action)
and draws them with the Footer's colours, the command palette key on the right.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class Key(NamedTuple):
    """One pair on the bar: the key to press (`key`), as shown, and what it does."""

    key: str
    display: str
    description: str
    enabled: bool


class KeysBar(Widget, can_focus=False):
    """One line of the active key bindings, docked at the bottom; a click on a pair presses its key."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-bar--key", "keys-bar--description", "keys-bar--separator"}
    DEFAULT_CSS = """
    KeysBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .keys-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keys-bar--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.keys: tuple[Key, ...] = ()
        """The pairs on show, left to right."""
        self.palette: Key | None = None
        """The command palette's key, drawn at the right end (None: no palette)."""
        self._spans: list[tuple[int, int, Key]] = []  # (first column, end column, pair) as last drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.update_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        # After the refresh, as the Footer does: focus moves settle before the chain is read.
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.update_keys)

    def update_keys(self) -> None:
        """Read the screen's active bindings; repaint only if the pairs to show changed."""
        keys, palette = self.active_keys()
        if (keys, palette) != (self.keys, self.palette):
            self.keys, self.palette = keys, palette
            self.refresh()

    def active_keys(self) -> tuple[tuple[Key, ...], Key | None]:
        """The pairs the Footer would show now, and the command palette's key (its rules, without groups)."""
        app = self.app
        active = self.screen.active_bindings
        by_action: dict[str, Key] = {}
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = Key(binding.key, app.get_key_display(binding), binding.description, enabled)
        palette = None
        if app.ENABLE_COMMAND_PALETTE and (found := active.get(app.COMMAND_PALETTE_BINDING)) is not None:
            _node, binding, enabled, _tooltip = found
            palette = Key(binding.key, app.get_key_display(binding), binding.description, enabled)
        return tuple(by_action.values()), palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keys-bar--key")
        description_style = self.get_component_rich_style("keys-bar--description")
        width = self.size.width
        right = Text()
        if self.palette is not None:  # as Footer's `-command-palette` key: `▏^p palette `
            right = Text.assemble(("▏", self.get_component_rich_style("keys-bar--separator")),
                                  self._pair(self.palette, key_style, description_style, self.palette.display,
                                             f" {self.palette.description}"), " ")
        left, spans, column = Text(), [], 0
        for key in self.keys:
            pair = self._pair(key, key_style, description_style, f" {key.display} ", f"{key.description} ")
            spans.append((column, column + pair.cell_len, key))
            column += pair.cell_len
            left.append_text(pair)
        left.truncate(max(0, width - right.cell_len), overflow="crop", pad=True)
        if self.palette is not None:
            spans.append((width - right.cell_len, width, self.palette))
        self._spans = spans
        text = Text.assemble(left, right, no_wrap=True, end="")
        text.stylize_before(self.rich_style)
        return text

    @staticmethod
    def _pair(key: Key, key_style: Style, description_style: Style, key_text: str, description: str) -> Text:
        pair = Text.assemble((key_text, key_style), (description, description_style))
        if not key.enabled:  # shown but refused now (check_action returned None): dimmed, as the Footer does
            pair.stylize(Style(dim=True))
        return pair

    def on_click(self, event: events.Click) -> None:
        """A click on a pair presses its key, as a click on a Footer key did."""
        for start, end, key in self._spans:
            if start <= event.x < end:
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
