"""Wire models of consent, by subject: ``aa`` (what every AA body shares), ``consent``,
``fi`` (the data flow), ``settings`` (the partner's AA settings)."""
