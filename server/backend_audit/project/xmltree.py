"""A small XML element tree with the line of every start tag, for manifest readers.

`xml.etree` drops line numbers, but a finding about a dependency is shown on the line that
declares it; expat (the parser under xml.etree) reports them, so the readers of `pom.xml`,
`*.csproj` and `Directory.Packages.props` build their trees here. Tag names lose their
namespace (``{uri}tag`` and ``prefix:tag`` become ``tag``). No DTD or external entity is ever
fetched: expat does not load external entities unless asked to.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.parsers import expat

import attrs


@attrs.define
class XmlElement:
    tag: str
    line: int
    """0-based line of the start tag."""
    attributes: dict[str, str] = attrs.field(factory=dict)
    children: list[XmlElement] = attrs.field(factory=list)
    text: str = ""

    def attr(self, name: str) -> str:
        """An attribute's value, its name compared case-insensitively (MSBuild style)."""
        for key, value in self.attributes.items():
            if key.lower() == name.lower():
                return value.strip()
        return ""

    def child(self, tag: str) -> XmlElement | None:
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def value(self, tag: str) -> str:
        c = self.child(tag)
        return c.text.strip() if c is not None else ""

    def child_text(self, tag: str) -> str:
        """A child's text, its tag compared case-insensitively (MSBuild style)."""
        for c in self.children:
            if c.tag.lower() == tag.lower():
                return c.text.strip()
        return ""

    def walk(self) -> Iterator[XmlElement]:
        """This element and every descendant, in document order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def all(self, *path: str) -> list[XmlElement]:
        nodes = [self]
        for tag in path:
            nodes = [c for n in nodes for c in n.children if c.tag == tag]
        return nodes


def parse_xml(text: str) -> XmlElement | None:
    """The root element, or None for text that is not well-formed XML."""
    parser = expat.ParserCreate()
    roots: list[XmlElement] = []
    stack: list[XmlElement] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        node = XmlElement(name.rsplit("}", 1)[-1].rsplit(":", 1)[-1], parser.CurrentLineNumber - 1, dict(attributes))
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text.lstrip("\ufeff").encode("utf-8"), True)
    except (expat.ExpatError, RecursionError):
        return None
    return roots[0] if roots else None
