"""Plain dataclasses the rules read: a validated contract with every amount in integer cents.

The pydantic models of contract.py check the file at the edge; the rules only see these facts,
so each rule is a small pure function of (facts, parameters).
"""

from __future__ import annotations

from dataclasses import dataclass, field

AXES = (1, 2, 3, 4)
AXIS_TITLES = {
    1: "Prévenir la pauvreté et lutter contre les inégalités dès l'enfance",
    2: "Amplifier la politique d'accès à l'emploi pour tous",
    3: "Lutter contre la grande exclusion grâce à l'accès aux droits",
    4: "Construire une transition écologique solidaire",
}
COLLECTIVITY_TYPES = {"departement": "département", "metropole": "métropole"}
STATUSES = {"nouvelle": "nouvelle", "renforcee": "renforcée", "reconduite": "reconduite"}
# Kinds of action the framework treats specially; the key is what a contract file lists under `dispositifs`.
DISPOSITIFS = {
    "slime": "SLIME+ ou autre programme financé par les CEE précarité",
    "slime_hors_plafond": "animation des SLIME+ ou fonds sociaux d'aide aux travaux (FSATME), hors plafond CEE",
    "fsl_energie": "aides financières aux ménages au titre du FSL énergie (expérimentation)",
    "ecomobilite_investissement": "investissement dans des solutions d'éco-mobilité inclusive",
    "aide_achat_vehicule_zfe": "aide à l'achat de véhicules dans le cadre des ZFE",
    "tarification_cantine": "tarification sociale des cantines des collèges en REP/REP+",
    "mobilite_demandeurs_emploi": "mobilité des bénéficiaires du RSA et des demandeurs d'emploi",
    "entretien_prenatal_pmi": "entretiens prénataux de la PMI",
    "bilan_sante_maternelle_pmi": "bilans de santé de la PMI en école maternelle",
    "valorisation_existant": "valorisation financière de l'existant (personnel, gestion courante)",
}


@dataclass(frozen=True, slots=True)
class Canteen:
    repas: int
    prix_repas: int  # cents
    qf_max: int  # cents
    aide_etat_par_repas: int  # cents
    etablissements_rep: bool | None
    mesure_similaire_existante: bool | None


@dataclass(frozen=True, slots=True)
class Indicator:
    libelle: str
    t0: object  # number or text; None when missing
    cibles: dict  # year -> number or text (None when missing)


@dataclass(frozen=True, slots=True)
class Part:
    """A sub-budget line of an action (a « volet » of its fiche action)."""

    libelle: str
    montant: int


@dataclass(frozen=True, slots=True)
class ActionFacts:
    id: str
    index: int  # position in the file, for messages
    axe: int
    intitule: str
    statut: str | None  # None: not stated (e.g. a financial table without a status column)
    etat: int
    collectivite: int
    autres: int  # sum of the other financers
    autres_detail: tuple[tuple[str, int], ...]
    fse_plus: int  # part of `collectivite` paid by the FSE+
    cee: int  # CEE co-financing, on top of etat + collectivite + autres
    total_declared: int | None
    dispositifs: frozenset[str]
    cantine: Canteen | None
    indicateurs: tuple[Indicator, ...] | None  # None: not provided (not the same as an empty list)
    volets: tuple[Part, ...] | None
    evaluation_impact: bool | None = None  # carries the contract's social impact evaluation (None: not stated)

    @property
    def cout_total(self) -> int:
        """Every financer included: State, collectivity, other partners and CEE."""
        return self.etat + self.collectivite + self.autres + self.cee

    @property
    def co_contracted(self) -> int:
        """The amount the two co-contracting parties put in (State + collectivity)."""
        return self.etat + self.collectivite


@dataclass(frozen=True, slots=True)
class Totals:
    etat: int | None = None
    collectivite: int | None = None
    autres: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class ContractFacts:
    nom: str
    type: str  # "departement" | "metropole"
    annee: int
    plafonds: dict[int, int]  # axis -> cents; empty when not given
    actions: tuple[ActionFacts, ...]
    sous_totaux: dict[int, Totals] = field(default_factory=dict)
    totaux: Totals | None = None

    @property
    def is_metropole(self) -> bool:
        return self.type == "metropole"

    def on_axis(self, axis: int) -> list[ActionFacts]:
        return [a for a in self.actions if a.axe == axis]
