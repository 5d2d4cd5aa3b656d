"""The countries an account may name (those whose public holidays are known), listed in the
reader's language and in the order a reader of that language looks for them."""

from __future__ import annotations

import functools
import gettext
import unicodedata

import holidays
import pycountry
from django.utils import translation
from django.utils.translation import gettext_noop

# Codes `holidays` knows that ISO 3166 does not assign (so pycountry has no name for them).
# Their names are in our own catalogue.
_OUTSIDE_ISO = {"XK": gettext_noop("Kosovo")}

# Japanese lists run in kana order (gojūon). ISO 3166's Japanese names are katakana, except a
# few that begin with kanji, whose code points say nothing of how they are read: 日本 would sort
# after every katakana name. Their opening words' readings, longest first.
_JAPANESE_READINGS = sorted(
    {
        "南極大陸": "なんきょくたいりく",
        "北朝鮮": "きたちょうせん",
        "米領": "べいりょう",
        "米国": "べいこく",
        "英国": "えいこく",
        "英領": "えいりょう",
        "中央": "ちゅうおう",
        "中国": "ちゅうごく",
        "赤道": "せきどう",
        "仏領": "ふつりょう",
        "香港": "ほんこん",
        "日本": "にほん",
        "韓国": "かんこく",
        "台湾": "たいわん",
        "聖庁": "せいちょう",
        "北": "きた",
        "南": "みなみ",
        "東": "ひがし",
        "西": "にし",
    }.items(),
    key=lambda pair: -len(pair[0]),
)
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


@functools.cache
def _country_names() -> dict[str, str]:
    """Each country whose holidays are known (alpha-2 codes: the library also answers to
    alpha-3 codes and aliases such as "UK", and listing those too showed most countries twice),
    with its English name from ISO 3166 (pycountry: the common name where there is one,
    "Taiwan" rather than "Taiwan, Province of China")."""
    names = {}
    for code in holidays.list_supported_countries(include_aliases=False):
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:
            names[code] = getattr(country, "common_name", None) or country.name
        elif code in _OUTSIDE_ISO:
            names[code] = _OUTSIDE_ISO[code]
    return names


@functools.cache
def _country_catalog(language: str) -> gettext.NullTranslations:
    """ISO 3166's names in `language` (the iso-codes translations pycountry ships); English
    when there are none."""
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def _japanese_key(name: str) -> tuple[str, str]:
    """Kana order: the reading in hiragana, compared first without voicing marks (ガ files with
    カ), then with them."""
    for word, reading in _JAPANESE_READINGS:
        if name.startswith(word):
            name = reading + name[len(word) :]
            break
    kana = name.translate(_KATAKANA_TO_HIRAGANA).replace("ー", "")
    plain = "".join(
        char for char in unicodedata.normalize("NFD", kana) if not unicodedata.combining(char)
    )
    return plain, kana


def country_choices(current: str = "") -> list[tuple[str, str]]:
    """(code, "Name (CODE)") in the reader's language, by name (in Japanese, by reading); an
    account's current code is kept even when it is one of the library's other spellings (an
    account created through the API may use one)."""
    language = (translation.get_language() or "en").split("-")[0]
    catalog = _country_catalog(language)
    named = [
        (code, translation.gettext(name) if code in _OUTSIDE_ISO else catalog.gettext(name))
        for code, name in _country_names().items()
    ]
    if language == "ja":
        named.sort(key=lambda pair: _japanese_key(pair[1]))
    else:
        named.sort(key=lambda pair: pair[1])
    choices = [(code, f"{name} ({code})") for code, name in named]
    if current and current not in _country_names():
        choices.insert(0, (current, current))
    return choices


def country_name(code: str) -> str:
    """One country's name in the reader's language (as `country_choices` names it); a code
    the list does not know (another spelling an API caller used) as it is."""
    name = _country_names().get(code)
    if name is None:
        return code
    if code in _OUTSIDE_ISO:
        return translation.gettext(name)
    language = (translation.get_language() or "en").split("-")[0]
    return _country_catalog(language).gettext(name)
