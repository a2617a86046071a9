"""Address material per country: real localities and regions, street names and postcode shapes.

Localities, districts and regions are real places so an address reads naturally; house numbers,
streets and the last postcode digits are drawn at random, so no address is a real one. Countries
without postcodes (Sierra Leone, Suriname, Antigua and Barbuda) get ``postcode: None``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A locality in its district and state (or region, province, parish, island)."""

    locality: str
    district: str
    state: str
    postcode_prefix: str = ""
    language: str | None = None
    """The language most residents here prefer, when it is one of the country's languages."""


@dataclass(frozen=True)
class AddressBook:
    """What addresses in one country are made of."""

    places: tuple[Place, ...]
    street_stems: tuple[str, ...]
    street_suffixes: tuple[str, ...]
    postcode_length: int
    """Digits in a postcode; 0 where the country has none."""


ADDRESS_BOOKS: dict[str, AddressBook] = {
    "IN": AddressBook(
        places=(
            Place("Andheri", "Mumbai Suburban", "Maharashtra", "400", "mr"),
            Place("Kothrud", "Pune", "Maharashtra", "411", "mr"),
            Place("Karol Bagh", "Central Delhi", "Delhi", "110", "hi"),
            Place("Dwarka", "South West Delhi", "Delhi", "110", "hi"),
            Place("Gomti Nagar", "Lucknow", "Uttar Pradesh", "226", "hi"),
            Place("Malviya Nagar", "Jaipur", "Rajasthan", "302", "hi"),
            Place("Arera Colony", "Bhopal", "Madhya Pradesh", "462", "hi"),
            Place("Kankarbagh", "Patna", "Bihar", "800", "hi"),
            Place("Sector 17", "Chandigarh", "Chandigarh", "160", "hi"),
            Place("Adyar", "Chennai", "Tamil Nadu", "600", "ta"),
            Place("RS Puram", "Coimbatore", "Tamil Nadu", "641", "ta"),
            Place("Salt Lake", "North 24 Parganas", "West Bengal", "700", "bn"),
            Place("Gariahat", "Kolkata", "West Bengal", "700", "bn"),
            Place("Banjara Hills", "Hyderabad", "Telangana", "500", "te"),
            Place("Benz Circle", "Krishna", "Andhra Pradesh", "520", "te"),
            Place("Navrangpura", "Ahmedabad", "Gujarat", "380"),
            Place("Jayanagar", "Bengaluru Urban", "Karnataka", "560"),
            Place("Kakkanad", "Ernakulam", "Kerala", "682"),
        ),
        street_stems=(
            "Mahatma Gandhi",
            "Nehru",
            "Tilak",
            "Shivaji",
            "Subhash",
            "Ambedkar",
            "Sardar Patel",
            "Rajaji",
            "Tagore",
            "Netaji",
            "Station",
            "Temple",
            "Market",
            "Lake",
        ),
        street_suffixes=(" Road", " Marg", " Nagar", " Street", " Lane", " Colony"),
        postcode_length=6,
    ),
    "TT": AddressBook(
        places=(
            Place("Woodbrook", "Port of Spain", "Trinidad", "1001"),
            Place("St. James", "Port of Spain", "Trinidad", "1001"),
            Place("Diego Martin", "Diego Martin", "Trinidad", "1202"),
            Place("Curepe", "Tunapuna-Piarco", "Trinidad", "3305"),
            Place("Arima", "Arima", "Trinidad", "3101"),
            Place("Sangre Grande", "Sangre Grande", "Trinidad", "3801"),
            Place("Chaguanas", "Chaguanas", "Trinidad", "5001"),
            Place("Couva", "Couva-Tabaquite-Talparo", "Trinidad", "5401"),
            Place("San Fernando", "San Fernando", "Trinidad", "6001"),
            Place("Point Fortin", "Point Fortin", "Trinidad", "6401"),
            Place("Scarborough", "Tobago", "Tobago", "9001"),
            Place("Crown Point", "Tobago", "Tobago", "9005"),
        ),
        street_stems=(
            "Ariapita",
            "Tragarete",
            "Frederick",
            "Charlotte",
            "Cipero",
            "Eastern Main",
            "Southern Main",
            "Pembroke",
            "Coffee",
            "Mucurapo",
            "Saddle",
            "Gordon",
        ),
        street_suffixes=(" Street", " Road", " Avenue", " Trace", " Drive"),
        postcode_length=6,
    ),
    "AM": AddressBook(
        places=(
            Place("Kentron", "Yerevan", "Yerevan", "00"),
            Place("Arabkir", "Yerevan", "Yerevan", "00"),
            Place("Malatia-Sebastia", "Yerevan", "Yerevan", "00"),
            Place("Ashtarak", "Ashtarak", "Aragatsotn", "02"),
            Place("Vagharshapat", "Vagharshapat", "Armavir", "11"),
            Place("Sevan", "Sevan", "Gegharkunik", "15"),
            Place("Vanadzor", "Vanadzor", "Lori", "20"),
            Place("Abovyan", "Abovyan", "Kotayk", "22"),
            Place("Hrazdan", "Hrazdan", "Kotayk", "23"),
            Place("Gyumri", "Gyumri", "Shirak", "31"),
            Place("Goris", "Goris", "Syunik", "32"),
            Place("Kapan", "Kapan", "Syunik", "33"),
            Place("Dilijan", "Dilijan", "Tavush", "39"),
        ),
        street_stems=(
            "Abovyan",
            "Tumanyan",
            "Mashtots",
            "Baghramyan",
            "Sayat-Nova",
            "Isahakyan",
            "Teryan",
            "Charents",
            "Komitas",
            "Nalbandyan",
            "Koryun",
            "Amiryan",
            "Khorenatsi",
            "Sundukyan",
        ),
        street_suffixes=(" Street", " Avenue", " Lane"),
        postcode_length=4,
    ),
    "SL": AddressBook(
        places=(
            Place("Congo Cross", "Western Area Urban", "Western Area"),
            Place("Lumley", "Western Area Urban", "Western Area"),
            Place("Wellington", "Western Area Urban", "Western Area"),
            Place("Waterloo", "Western Area Rural", "Western Area"),
            Place("Bo", "Bo", "Southern Province"),
            Place("Moyamba", "Moyamba", "Southern Province"),
            Place("Kenema", "Kenema", "Eastern Province"),
            Place("Koidu", "Kono", "Eastern Province"),
            Place("Makeni", "Bombali", "Northern Province"),
            Place("Kabala", "Koinadugu", "Northern Province"),
            Place("Port Loko", "Port Loko", "North West Province"),
        ),
        street_stems=(
            "Siaka Stevens",
            "Wilkinson",
            "Kissy",
            "Pademba",
            "Lightfoot Boston",
            "Circular",
            "Main Motor",
            "Sanders",
            "Bathurst",
            "Regent",
            "Spur",
            "Hill Cot",
        ),
        street_suffixes=(" Street", " Road", " Lane"),
        postcode_length=0,
    ),
    "SR": AddressBook(
        places=(
            Place("Centrum", "Centrum", "Paramaribo", language="nl"),
            Place("Zorg en Hoop", "Munder", "Paramaribo", language="nl"),
            Place("Flora", "Flora", "Paramaribo", language="nl"),
            Place("Latour", "Latour", "Paramaribo", language="nl"),
            Place("Lelydorp", "Lelydorp", "Wanica"),
            Place("Domburg", "Domburg", "Wanica"),
            Place("Nieuw Nickerie", "Nieuw Nickerie", "Nickerie"),
            Place("Meerzorg", "Meerzorg", "Commewijne"),
            Place("Onverwacht", "Noord", "Para"),
            Place("Groningen", "Groningen", "Saramacca"),
            Place("Albina", "Albina", "Marowijne"),
            Place("Moengo", "Moengo", "Marowijne"),
            Place("Totness", "Totness", "Coronie"),
        ),
        street_stems=(
            "Keizer",
            "Heeren",
            "Dominee",
            "Graven",
            "Wilhelmina",
            "Kernkamp",
            "Anton Dragten",
            "Jozef Israel",
            "Tourtonne",
            "Kwatta",
            "Johannes Mungra",
            "Indira Gandhi",
            "Ring",
        ),
        street_suffixes=("straat", "weg", "laan"),
        postcode_length=0,
    ),
    "AG": AddressBook(
        places=(
            Place("St. John's", "St. John's", "Antigua"),
            Place("Gray's Farm", "St. John's", "Antigua"),
            Place("Cedar Grove", "St. John's", "Antigua"),
            Place("Piggotts", "St. George", "Antigua"),
            Place("Parham", "St. Peter", "Antigua"),
            Place("Freetown", "St. Philip", "Antigua"),
            Place("English Harbour", "St. Paul", "Antigua"),
            Place("Falmouth", "St. Paul", "Antigua"),
            Place("Bolans", "St. Mary", "Antigua"),
            Place("Jennings", "St. Mary", "Antigua"),
            Place("Codrington", "Barbuda", "Barbuda"),
        ),
        street_stems=(
            "Market",
            "Redcliffe",
            "High",
            "Long",
            "Newgate",
            "Old Parham",
            "Friars Hill",
            "Factory",
            "All Saints",
            "Fort James",
            "Independence",
            "Cross",
        ),
        street_suffixes=(" Street", " Road", " Drive"),
        postcode_length=0,
    ),
    "PG": AddressBook(
        places=(
            Place("Boroko", "National Capital District", "National Capital District", "111"),
            Place("Gordons", "National Capital District", "National Capital District", "111"),
            Place("Waigani", "National Capital District", "National Capital District", "131"),
            Place("Alotau", "Alotau", "Milne Bay", "211"),
            Place("Mount Hagen", "Mount Hagen", "Western Highlands", "281"),
            Place("Lae", "Lae", "Morobe", "411"),
            Place("Goroka", "Goroka", "Eastern Highlands", "441"),
            Place("Madang", "Madang", "Madang", "511"),
            Place("Wewak", "Wewak", "East Sepik", "531"),
            Place("Kokopo", "Kokopo", "East New Britain", "613"),
            Place("Kimbe", "Talasea", "West New Britain", "621"),
        ),
        street_stems=(
            "Waigani",
            "Hubert Murray",
            "Angau",
            "Mataungan",
            "Okari",
            "Taurama",
            "Wards",
            "Lawes",
            "Poreporena",
            "Cameron",
            "Champion",
            "Mokoro",
        ),
        street_suffixes=(" Drive", " Road", " Street"),
        postcode_length=3,
    ),
}
"""Address material keyed by ISO 3166 alpha-2 code, one entry per profile in ``COUNTRIES``."""
