"""Person names: pools of (Latin, local script) pairs per country, deterministic given the seed.

India and Armenia use curated bilingual lists, so one person has the same name in Latin script and
in Devanagari or Armenian (a real transliteration, not two unrelated names). The other countries
draw Latin names from Faker with the profile's locales, once per world, and have no local form.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from faker import Faker

from sandbox.population.countries import CountryProfile

NamePair = tuple[str, str | None]
"""A name in Latin script and, where the country has one, in its local script."""

INDIA_GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("Aarav", "आरव"),
    ("Abhishek", "अभिषेक"),
    ("Aditya", "आदित्य"),
    ("Ajay", "अजय"),
    ("Amit", "अमित"),
    ("Anil", "अनिल"),
    ("Arjun", "अर्जुन"),
    ("Ashok", "अशोक"),
    ("Deepak", "दीपक"),
    ("Ganesh", "गणेश"),
    ("Gaurav", "गौरव"),
    ("Harish", "हरीश"),
    ("Harsh", "हर्ष"),
    ("Imran", "इमरान"),
    ("Jatin", "जतिन"),
    ("Karan", "करण"),
    ("Kiran", "किरण"),
    ("Mahesh", "महेश"),
    ("Manoj", "मनोज"),
    ("Mohan", "मोहन"),
    ("Naveen", "नवीन"),
    ("Nikhil", "निखिल"),
    ("Pankaj", "पंकज"),
    ("Prakash", "प्रकाश"),
    ("Rahul", "राहुल"),
    ("Rajesh", "राजेश"),
    ("Rakesh", "राकेश"),
    ("Ramesh", "रमेश"),
    ("Rohit", "रोहित"),
    ("Sachin", "सचिन"),
    ("Sameer", "समीर"),
    ("Sanjay", "संजय"),
    ("Siddharth", "सिद्धार्थ"),
    ("Suresh", "सुरेश"),
    ("Tarun", "तरुण"),
    ("Varun", "वरुण"),
    ("Vijay", "विजय"),
    ("Vinod", "विनोद"),
    ("Vivek", "विवेक"),
    ("Yash", "यश"),
)

INDIA_GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("Aarti", "आरती"),
    ("Aisha", "आयशा"),
    ("Anita", "अनीता"),
    ("Anjali", "अंजलि"),
    ("Asha", "आशा"),
    ("Bhavna", "भावना"),
    ("Deepa", "दीपा"),
    ("Divya", "दिव्या"),
    ("Farah", "फ़राह"),
    ("Gita", "गीता"),
    ("Isha", "ईशा"),
    ("Jyoti", "ज्योति"),
    ("Kavita", "कविता"),
    ("Komal", "कोमल"),
    ("Lata", "लता"),
    ("Madhu", "मधु"),
    ("Manisha", "मनीषा"),
    ("Meena", "मीना"),
    ("Nandini", "नंदिनी"),
    ("Neha", "नेहा"),
    ("Nisha", "निशा"),
    ("Pallavi", "पल्लवी"),
    ("Pooja", "पूजा"),
    ("Priya", "प्रिया"),
    ("Radha", "राधा"),
    ("Rekha", "रेखा"),
    ("Ritu", "रितु"),
    ("Sapna", "सपना"),
    ("Savita", "सविता"),
    ("Seema", "सीमा"),
    ("Shalini", "शालिनी"),
    ("Shreya", "श्रेया"),
    ("Sita", "सीता"),
    ("Sneha", "स्नेहा"),
    ("Sunita", "सुनीता"),
    ("Swati", "स्वाति"),
    ("Tanvi", "तन्वी"),
    ("Usha", "उषा"),
    ("Vandana", "वंदना"),
)

INDIA_SURNAMES: tuple[tuple[str, str], ...] = (
    ("Agarwal", "अग्रवाल"),
    ("Ansari", "अंसारी"),
    ("Banerjee", "बनर्जी"),
    ("Bhat", "भट"),
    ("Bose", "बोस"),
    ("Chatterjee", "चटर्जी"),
    ("Chauhan", "चौहान"),
    ("Chaudhary", "चौधरी"),
    ("Das", "दास"),
    ("Deshmukh", "देशमुख"),
    ("Dubey", "दुबे"),
    ("Gill", "गिल"),
    ("Gupta", "गुप्ता"),
    ("Iyer", "अय्यर"),
    ("Jain", "जैन"),
    ("Joshi", "जोशी"),
    ("Kapoor", "कपूर"),
    ("Khan", "ख़ान"),
    ("Khanna", "खन्ना"),
    ("Kulkarni", "कुलकर्णी"),
    ("Kumar", "कुमार"),
    ("Malhotra", "मल्होत्रा"),
    ("Mehta", "मेहता"),
    ("Menon", "मेनन"),
    ("Mishra", "मिश्रा"),
    ("Mukherjee", "मुखर्जी"),
    ("Naidu", "नायडू"),
    ("Nair", "नायर"),
    ("Pandey", "पांडे"),
    ("Patel", "पटेल"),
    ("Patil", "पाटिल"),
    ("Pillai", "पिल्लई"),
    ("Rao", "राव"),
    ("Reddy", "रेड्डी"),
    ("Saxena", "सक्सेना"),
    ("Sethi", "सेठी"),
    ("Shah", "शाह"),
    ("Sharma", "शर्मा"),
    ("Sheikh", "शेख़"),
    ("Singh", "सिंह"),
    ("Srivastava", "श्रीवास्तव"),
    ("Thakur", "ठाकुर"),
    ("Tiwari", "तिवारी"),
    ("Verma", "वर्मा"),
    ("Yadav", "यादव"),
)

ARMENIA_GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("Aram", "Արամ"),
    ("Armen", "Արմեն"),
    ("Arman", "Արման"),
    ("Artur", "Արթուր"),
    ("Ashot", "Աշոտ"),
    ("Davit", "Դավիթ"),
    ("Gevorg", "Գևորգ"),
    ("Gor", "Գոռ"),
    ("Hakob", "Հակոբ"),
    ("Hayk", "Հայկ"),
    ("Hovhannes", "Հովհաննես"),
    ("Karen", "Կարեն"),
    ("Levon", "Լևոն"),
    ("Narek", "Նարեկ"),
    ("Samvel", "Սամվել"),
    ("Sargis", "Սարգիս"),
    ("Suren", "Սուրեն"),
    ("Tigran", "Տիգրան"),
    ("Vahan", "Վահան"),
    ("Vardan", "Վարդան"),
)

ARMENIA_GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("Anahit", "Անահիտ"),
    ("Ani", "Անի"),
    ("Anna", "Աննա"),
    ("Araksya", "Արաքսյա"),
    ("Armine", "Արմինե"),
    ("Arpi", "Արփի"),
    ("Gayane", "Գայանե"),
    ("Gohar", "Գոհար"),
    ("Hasmik", "Հասմիկ"),
    ("Karine", "Կարինե"),
    ("Lilit", "Լիլիթ"),
    ("Lusine", "Լուսինե"),
    ("Mariam", "Մարիամ"),
    ("Nare", "Նարե"),
    ("Narine", "Նարինե"),
    ("Nune", "Նունե"),
    ("Siranush", "Սիրանուշ"),
    ("Sona", "Սոնա"),
    ("Tatevik", "Տաթևիկ"),
    ("Zaruhi", "Զարուհի"),
)

ARMENIA_SURNAMES: tuple[tuple[str, str], ...] = (
    ("Abrahamyan", "Աբրահամյան"),
    ("Aslanyan", "Ասլանյան"),
    ("Avagyan", "Ավագյան"),
    ("Avetisyan", "Ավետիսյան"),
    ("Baghdasaryan", "Բաղդասարյան"),
    ("Danielyan", "Դանիելյան"),
    ("Davtyan", "Դավթյան"),
    ("Galstyan", "Գալստյան"),
    ("Gevorgyan", "Գևորգյան"),
    ("Ghazaryan", "Ղազարյան"),
    ("Grigoryan", "Գրիգորյան"),
    ("Hakobyan", "Հակոբյան"),
    ("Hambardzumyan", "Համբարձումյան"),
    ("Harutyunyan", "Հարությունյան"),
    ("Hovhannisyan", "Հովհաննիսյան"),
    ("Karapetyan", "Կարապետյան"),
    ("Khachatryan", "Խաչատրյան"),
    ("Manukyan", "Մանուկյան"),
    ("Margaryan", "Մարգարյան"),
    ("Martirosyan", "Մարտիրոսյան"),
    ("Melkonyan", "Մելքոնյան"),
    ("Mkrtchyan", "Մկրտչյան"),
    ("Mnatsakanyan", "Մնացականյան"),
    ("Movsisyan", "Մովսիսյան"),
    ("Petrosyan", "Պետրոսյան"),
    ("Poghosyan", "Պողոսյան"),
    ("Sahakyan", "Սահակյան"),
    ("Sargsyan", "Սարգսյան"),
    ("Simonyan", "Սիմոնյան"),
    ("Stepanyan", "Ստեփանյան"),
    ("Vardanyan", "Վարդանյան"),
    ("Zakaryan", "Զաքարյան"),
)

_CURATED: dict[str, tuple[tuple[NamePair, ...], tuple[NamePair, ...], tuple[NamePair, ...]]] = {
    "IN": (INDIA_GIVEN_MALE, INDIA_GIVEN_FEMALE, INDIA_SURNAMES),
    "AM": (ARMENIA_GIVEN_MALE, ARMENIA_GIVEN_FEMALE, ARMENIA_SURNAMES),
}

_FAKER_GIVEN_DRAWS = 300
_FAKER_SURNAME_DRAWS = 400


@dataclass(frozen=True)
class NamePools:
    """The names a world's residents are drawn from."""

    given_male: tuple[NamePair, ...]
    given_female: tuple[NamePair, ...]
    surnames: tuple[NamePair, ...]


def name_pools(country: CountryProfile, seed: int) -> NamePools:
    """Name pools for a country: curated pairs, or Faker draws seeded by ``seed``."""
    curated = _CURATED.get(country.code)
    if curated is not None:
        return NamePools(*curated)
    male: list[str] = []
    female: list[str] = []
    surnames: list[str] = []
    for offset, locale in enumerate(country.faker_locales):
        fake = Faker(locale)
        fake.seed_instance(seed * 31 + offset)
        male += [fake.first_name_male() for _ in range(_FAKER_GIVEN_DRAWS)]
        female += [fake.first_name_female() for _ in range(_FAKER_GIVEN_DRAWS)]
        surnames += [fake.last_name() for _ in range(_FAKER_SURNAME_DRAWS)]
    return NamePools(_unique(male), _unique(female), _unique(surnames))


def _unique(names: list[str]) -> tuple[NamePair, ...]:
    """Distinct names in first-seen order (pairs without a local form)."""
    return tuple((name, None) for name in dict.fromkeys(names))


def ascii_slug(text: str) -> str:
    """Lowercase ASCII letters and digits of a name: ``"Zoë van Dijk"`` -> ``"zoevandijk"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed.lower() if c.isascii() and c.isalnum())
