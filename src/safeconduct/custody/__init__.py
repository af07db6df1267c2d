"""Prisoner-of-war custody: reception, registration and the paperwork the Third Geneva
Convention asks for (GUIDE §4), as plain values with no I/O.

- :mod:`.health`: the Annex IV B state-of-health categories;
- :mod:`.record`: the registration (Art. 17, Annex IV B, Art. 122 fields) and its JSON form;
- :mod:`.series`: prisoner and receipt numbers of a configured series;
- :mod:`.effects`: money and valuables taken against a receipt (Art. 18);
- :mod:`.arrival`: the person led in to the reception point;
- :mod:`.evacuation`: the list of evacuees of one transport (Art. 19-20);
- :mod:`.nib`: notifications to the National Information Bureau (Art. 122);
- :mod:`.status`: where a prisoner stands (registered, transferred, released, ...).
"""
