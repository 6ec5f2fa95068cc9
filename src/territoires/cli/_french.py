"""click's own messages in French (« Usage : », « Affiche ce message et quitte. », « Option manquante »…).

click marks its messages with :mod:`gettext`; :func:`install` points the ``_`` and ``ngettext`` of click's modules
at this catalogue, so that help pages and usage errors read in French. Messages not listed stay in English.
"""

from __future__ import annotations

import importlib

import click

__all__ = ["FRENCH", "FrenchHelpFormatter", "install"]

#: click message → French.
FRENCH = {
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Aborted!": "Interrompu.",
    "Argument {name!r} takes {nargs} values.": "L'argument {name!r} prend {nargs} valeurs.",
    "Choose from:\n\t{choices}": "Choisir parmi :\n\t{choices}",
    "Commands": "Commandes",
    "Could not open file {filename!r}: {message}": "Impossible d'ouvrir le fichier {filename!r} : {message}",
    "Error: {message}": "Erreur : {message}",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Missing argument": "Argument manquant",
    "Missing command.": "Commande manquante.",
    "Missing option": "Option manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Missing {param_type}": "{param_type} manquant(e)",
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
    "No such option {name!r}.": "Option inconnue : {name!r}.",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Options": "Options",
    "Positional arguments": "Arguments",
    "Show the version and exit.": "Affiche la version et quitte.",
    "Show this message and exit.": "Affiche cette aide et quitte.",
    "Try '{command} {option}' for help.": "Essayez « {command} {option} » pour l'aide.",
    "Usage:": "Usage :",
    "default: {default}": "par défaut : {default}",
    "directory": "dossier",
    "file": "fichier",
    "path": "chemin",
    "env var: {var}": "variable d'environnement : {var}",
    "required": "obligatoire",
    "unknown error": "erreur inconnue",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} illisible (droits).",
    "{name} {filename!r} is not writable.": "{name} {filename!r} non modifiable (droits).",
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un {number_type} valide.",
    "{value} is not in the range {range}.": "{value} hors de l'intervalle {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} n'est pas un booléen ({states}).",
    "Value must be an iterable.": "Une liste de valeurs est attendue.",
    # The same messages as worded by click 8.1 to 8.3 (before click 8.4 / 8.5 reworded them).
    "No such option: {name}": "Option inconnue : {name}",
    "{name} '{filename}' is a directory.": "{name} '{filename}' est un dossier.",
    "{value!r} is not a valid boolean.": "{value!r} n'est pas un booléen.",
    ("Did you mean {possibility}?", "(Possible options: {possibilities})"): (
        "Vouliez-vous dire {possibility} ?",
        "(Options possibles : {possibilities})",
    ),
    # ngettext: (singular, plural) → French (singular, plural)
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Vouliez-vous dire {possibility} ?",
        "(Vouliez-vous dire : {possibilities} ?)",
    ),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Argument en trop ({args})",
        "Arguments en trop ({args})",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "L'option {name!r} demande une valeur.",
        "L'option {name!r} demande {nargs} valeurs.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} n'est pas {choice}.",
        "{value!r} ne fait pas partie de {choices}.",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Prend {nargs} valeurs, 1 donnée.",
        "Prend {nargs} valeurs, {len} données.",
    ),
}

#: click parameter types → French name (shown upper case as the value name in the help).
_TYPE_NAMES = {
    "StringParamType": "texte",
    "IntParamType": "entier",
    "FloatParamType": "nombre",
    "IntRange": "entier",
    "FloatRange": "nombre",
    "BoolParamType": "booléen",
}

_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils")


def gettext(message: str) -> str:
    """Return the French of a click message (the message itself when it is not in the catalogue)."""
    return FRENCH.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Return the French singular or plural of a click message."""
    french = FRENCH.get((singular, plural), (singular, plural))
    return french[0] if n == 1 else french[1]


def install() -> None:
    """Make click's modules use the French catalogue (idempotent)."""
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
    click.Context.formatter_class = FrenchHelpFormatter
    # Value names in the help (TEXT, INTEGER, FLOAT RANGE…) and in « n'est pas un nombre valide ».
    for name, french in _TYPE_NAMES.items():
        getattr(click.types, name).name = french


class FrenchHelpFormatter(click.HelpFormatter):
    """Help pages with French typography: a space before the colon of each heading (« Options : »)."""

    def write_heading(self, heading: str) -> None:  # noqa: D102
        self.write(f"{'':>{self.current_indent}}{heading} :\n")
