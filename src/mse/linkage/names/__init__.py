"""Name lists used by :func:`mse.linkage.simulate_records` (package data).

``surnames_nl.csv`` holds one hundred common Dutch surnames in the order of
frequency of the Nederlandse Familienamenbank (Meertens Instituut, CBG);
``first_names_nl.csv`` thirty common Dutch first names of each sex, after the
Nederlandse Voornamenbank (Meertens Instituut), older and recent names mixed.
``names_other.csv`` holds common surnames and first names of the other
nationalities in ``nationalities.csv``, the nationalities most often named in
the reports of the Dutch National Rapporteur on Trafficking in Human Beings
and CoMensha on registered presumed victims. The order within each list is
the usual one for the country but approximate, and the files carry **no
published counts**: the generator gives the names Zipf frequencies over their
rank, and the nationality weights are illustrative shares, not the figures of
any year.
"""
