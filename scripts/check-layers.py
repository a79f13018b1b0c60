#!/usr/bin/env python3
"""Checks that the library's modules depend on each other one way only.

Each top-level module of src/ has a layer (below); a module may use modules of lower layers
only, never its own layer's siblings or anything above it. So there is no import cycle, and a
new dependency that would make one fails `make test`. References are `crate::module` paths
outside comments and outside `#[cfg(test)]` modules (tests may reach across).

Prints the module map with --map.
"""
import pathlib
import re
import sys

# Bottom to top. A module may use any module of a lower line.
LAYERS = [
    ("error", "clock", "callback", "tls", "proxy", "stats", "budget", "ids"),
    ("limits", "log", "identity", "storage", "journal"),
    ("config",),
    ("xdm", "scheduler", "delivery"),
    ("events", "resume", "body"),
    ("document",),
    ("session",),
    ("engine",),
    ("tracker",),
    ("client",),
    ("ffi",),
]
ROLES = {
    "error": "Error, ErrorKind (generated from status_table.rs)",
    "clock": "system and manual clocks, timestamps",
    "callback": "CallbackSlot: a caller's callback, replaced only when no call is in progress",
    "tls": "trust anchors parsed from PEM",
    "proxy": "proxy URLs, HTTPS_PROXY and NO_PROXY",
    "stats": "counters",
    "budget": "the client-wide queue limits",
    "limits": "size limits of strings and documents",
    "ids": "UUIDs and random numbers",
    "storage": "native.storageDir, locked for one client",
    "journal": "the durable queue: records, replay, compaction",
    "identity": "identityMap rules, the device's FPID, implementationDetails",
    "log": "the logger",
    "config": "the configuration document, checked",
    "xdm": "event documents: parsing, checks, defaults",
    "scheduler": "the timer thread",
    "delivery": "HTTP: the queue of sessions to serve, URLs, transport, retry policy, responses",
    "events": "session events and the per-session mailbox",
    "resume": "what a resumed session is told again",
    "body": "an event's request body, written once when it is queued",
    "document": "the send path's reading of a caller's event, written into its body as it is",
    "session": "the session model and its FIFO",
    "engine": "sessions, the send path, outcomes, pings, consent, notification, shutdown",
    "tracker": "the tracker API and Adobe's rules",
    "client": "the Rust API",
    "ffi": "the C ABI",
}

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
layer_of = {name: i for i, names in enumerate(LAYERS) for name in names}


def module_of(path):
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def code_of(text):
    text = re.split(r"#\[cfg\(test\)\]\s*mod \w+", text)[0]
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def uses():
    found = {}
    for path in sorted(SRC.rglob("*.rs")):
        module = module_of(path)
        if module in ("lib", "status_table"):
            continue
        code = code_of(path.read_text())
        grouped = re.findall(r"\bcrate::\{([^}]*)\}", code)
        names = re.findall(r"\bcrate::(\w+)", code) + [n for g in grouped for n in re.findall(r"^\s*(\w+)", g, re.M)]
        names += [n.strip().split("::")[0] for g in grouped for n in g.split(",") if n.strip()]
        for used in names:
            if used != module:
                found.setdefault(module, {}).setdefault(used, set()).add(str(path.relative_to(SRC.parent)))
    return found


def main():
    found = uses()
    problems = []
    modules = {module_of(p) for p in SRC.rglob("*.rs")} - {"lib", "status_table"}
    for module in sorted(modules - layer_of.keys()):
        problems.append(f"src/{module}: not in a layer of scripts/check-layers.py; add it")
    for module, used in sorted(found.items()):
        for dep, files in sorted(used.items()):
            if module in layer_of and dep in layer_of and layer_of[dep] >= layer_of[module]:
                problems.append(f"{module} uses {dep} ({', '.join(sorted(files))}): {dep} is not below {module}")
    if "--map" in sys.argv:
        for names in reversed(LAYERS):
            for name in names:
                deps = ", ".join(sorted(found.get(name, {}))) or "-"
                print(f"{name:10} {ROLES.get(name, '')}\n{'':10} uses: {deps}")
    for problem in problems:
        print("check-layers:", problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"check-layers: {len(modules)} modules in {len(LAYERS)} layers, every dependency points down")


main()
