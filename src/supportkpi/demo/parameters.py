"""The simulated support operation: every tunable number of the demo data set, in one place.

The figures are plausible for a mid-sized B2B/B2C software company with a support desk in
Berlin; they are chosen to make every KPI of the catalogue non-trivial (slow nights and
weekends, a visible growth trend, bot containment, reopens, escalations, abandoned calls).
"""

from __future__ import annotations

from datetime import date

# The tables below are laid out by hand for reading; keep the formatter off them.
# fmt: off

#: Seed and size used when the caller gives none.
DEFAULT_SEED = 42
DEFAULT_TICKETS = 20_000
#: The window is pinned to fixed dates (never ``now()``) so that a seed reproduces the data.
DEFAULT_END = date(2026, 10, 31)
WINDOW_MONTHS = 18
MAX_TICKETS = 10_000_000
#: Bumped whenever the generator changes the data it produces for a given seed.
GENERATOR_VERSION = 1

#: The support desk's local time zone and country (public holidays close the desk).
DEMO_TIMEZONE = "Europe/Berlin"
DEMO_HOLIDAYS_COUNTRY = "DE"
#: Staffed hours per weekday (Monday = 0), local time, [from, to) in whole hours.
OPENING_HOURS: dict[int, tuple[int, int]] = {0: (8, 20), 1: (8, 20), 2: (8, 20), 3: (8, 20),
                                             4: (8, 20), 5: (10, 16)}

# -- arrival pattern ------------------------------------------------------------------------
#: Relative ticket intensity by local hour of day: a morning and an afternoon peak.
HOUR_PROFILE = (0.15, 0.10, 0.08, 0.07, 0.08, 0.15, 0.30, 0.60, 1.00, 1.35, 1.50, 1.45,
                1.20, 1.30, 1.45, 1.40, 1.25, 1.05, 0.85, 0.70, 0.60, 0.50, 0.35, 0.22)
#: Relative intensity by weekday (Monday first); Monday catches up the weekend.
WEEKDAY_FACTOR = (1.20, 1.12, 1.05, 1.00, 0.92, 0.45, 0.38)
HOLIDAY_FACTOR = 0.55
#: Yearly growth of the contact volume (the business grows).
GROWTH_PER_YEAR = 1.35

# -- people ---------------------------------------------------------------------------------
TEAMS = ("billing", "technical", "general")
TEAM_SIZES = (9, 17, 14)
#: Hourly cost range (fully loaded, EUR) per team.
TEAM_HOURLY_COST = ((30.0, 40.0), (38.0, 54.0), (26.0, 35.0))
AGENT_JOINERS = 3  # agents hired inside the window
AGENT_LEAVERS = 3  # agents who leave inside the window
FIRST_NAMES = ("Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hamid", "Ines",
               "Jonas", "Kemal", "Lena", "Marco", "Nina", "Omar", "Paula", "Quentin", "Rosa",
               "Sven", "Tara", "Umut", "Vera", "Wiebke", "Yusuf", "Zoe", "Lukas", "Mia")
LAST_NAMES = ("Schmidt", "Novak", "Rossi", "Yilmaz", "Garcia", "Dubois", "Jansen", "Kowalski",
              "Berg", "Fischer", "Silva", "Nielsen", "Weber", "Costa", "Meyer", "Santos")

CUSTOMERS_PER_TICKET = 0.25
MIN_CUSTOMERS = 200
SEGMENTS = ("enterprise", "business", "consumer")
SEGMENT_SHARE = (0.05, 0.25, 0.70)
#: How many more tickets a customer of the segment opens than a consumer.
SEGMENT_TICKET_WEIGHT = (5.0, 2.0, 1.0)
#: Probability that a customer of the segment churns within a year.
SEGMENT_ANNUAL_CHURN = (0.06, 0.12, 0.25)
COUNTRIES = ("DE", "US", "GB", "FR", "NL", "ES", "IT", "AT", "CH", "CA", "AU", "BR", "IN", "JP")
COUNTRY_SHARE = (0.24, 0.18, 0.12, 0.08, 0.06, 0.05, 0.05, 0.05, 0.04, 0.04, 0.03, 0.03,
                 0.02, 0.01)
#: Share of customers who already existed when the window starts.
CUSTOMERS_BEFORE_WINDOW = 0.55

# -- tickets --------------------------------------------------------------------------------
CHANNELS = ("email", "chat", "phone", "web", "social")
CHANNEL_SHARE = (0.34, 0.26, 0.14, 0.16, 0.10)
#: Median first-response delay (seconds) and lognormal sigma per channel.
CHANNEL_FIRST_RESPONSE_S = (10_800.0, 60.0, 120.0, 5_400.0, 1_800.0)
CHANNEL_RESPONSE_SIGMA = (1.2, 0.9, 0.8, 1.1, 1.1)
#: Median time the customer takes to write again (seconds), per channel.
CHANNEL_CUSTOMER_GAP_S = (18_000.0, 90.0, 3_600.0, 10_800.0, 2_400.0)
#: Share of tickets an agent opens (outbound), per channel.
CHANNEL_AGENT_CREATED = (0.05, 0.0, 0.06, 0.0, 0.01)
#: Share of inbound tickets a bot greets first, and of those the bot solves alone.
CHANNEL_BOT_TOUCHED = (0.0, 0.70, 0.0, 0.30, 0.15)
CHANNEL_BOT_CONTAINED = (0.0, 0.35, 0.0, 0.20, 0.0)

PRIORITIES = ("low", "normal", "high", "urgent")
#: Priority mix per customer segment (enterprise, business, consumer, unknown customer).
PRIORITY_SHARE = ((0.10, 0.45, 0.30, 0.15), (0.18, 0.52, 0.22, 0.08),
                  (0.25, 0.57, 0.14, 0.04), (0.30, 0.60, 0.08, 0.02))
#: Response-time multiplier per priority (urgent tickets are answered ~4x faster).
PRIORITY_SPEED = (1.5, 1.0, 0.55, 0.25)
ENTERPRISE_SPEED = 0.6

#: Topic -> (team index, relative frequency, subject line).
TOPICS = (
    ("invoice", 0, 0.10, "Question about my invoice"),
    ("refund", 0, 0.08, "Refund request"),
    ("payment_failed", 0, 0.07, "Payment failed"),
    ("login", 1, 0.12, "Cannot log in"),
    ("bug", 1, 0.14, "Something is broken"),
    ("integration", 1, 0.08, "API integration problem"),
    ("performance", 1, 0.06, "The app is very slow"),
    ("shipping", 2, 0.12, "Where is my order?"),
    ("account", 2, 0.10, "Change my account details"),
    ("feature_request", 2, 0.05, "Feature request"),
    ("other", 2, 0.08, "General question"),
)
UNKNOWN_CUSTOMER_SHARE = 0.02

# -- conversations --------------------------------------------------------------------------
UNANSWERED_SHARE = 0.025  # inbound tickets no human ever answers (lost, spam, ...)
UNANSWERED_DISMISSED = 0.75  # of those, solved without a reply days later (spam, duplicates)
UNANSWERED_UNROUTED = 0.5  # of those, never even assigned
UNANSWERED_CHASED = 0.35  # of those, the customer writes again ("any update?")
OUTBOUND_REPLY_SHARE = 0.7  # agent-created tickets the customer answers
BOT_FOLLOW_UP_SHARE = 0.6  # bot-contained chats where the customer writes a second time
NOTE_BEFORE_REPLY_SHARE = 0.10  # private note before the first public reply
NOTE_AFTER_REPLY_SHARE = 0.05
#: Probabilities of 1, 2, 3, 4 customer/agent rounds.
ROUNDS_SHARE = (0.62, 0.25, 0.09, 0.04)
ESCALATION_BASE = 0.05  # plus ESCALATION_URGENT for urgent and ESCALATION_TECHNICAL
ESCALATION_URGENT = 0.06
ESCALATION_TECHNICAL = 0.03
ESCALATION_LEVEL3_SHARE = 0.2
ON_HOLD_AFTER_ESCALATION = 0.4
PENDING_BEFORE_SOLVE = 0.22
PENDING_MEDIAN_S = 30 * 3_600  # how long a pending ticket waits for the customer
PENDING_AUTO_SOLVE = 0.3  # pending tickets whose customer never answers: solved by automation
AUTO_SOLVE_AFTER_S = 7 * 86_400
REOPEN_SHARE = (0.07, 0.12)  # first reopen; second reopen of a reopened ticket
CLOSED_SHARE = 0.78  # solved tickets closed ~4 days after the last solve
CUSTOMER_BODY_SHARE = 0.05

ANGRY_BODIES = (
    "This is the third time I write, absolutely unacceptable!!",
    "Still not fixed. I am extremely disappointed.",
    "Terrible service, nobody answers!!",
    "I want to cancel, this is a joke.",
)
HAPPY_BODIES = (
    "Thanks a lot, that solved it!",
    "Great support, very quick. Thank you!",
    "Perfect, works now. You are the best.",
)
NEUTRAL_BODIES = (
    "Hi, I have a question about my account.",
    "Could you please check my last order?",
    "Please see the attached screenshot.",
    "Any update on this?",
)
ANGRY_TAG_SHARE = 0.6

# -- surveys --------------------------------------------------------------------------------
CSAT_SENT_SHARE = 0.30
CSAT_ANSWER_SHARE = 0.40
CES_SENT_SHARE = 0.10
CES_ANSWER_SHARE = 0.50
NPS_QUARTERLY_SHARE = 0.15
NPS_ANSWER_SHARE = 0.30
ASAT_ANSWER_SHARE = 0.85

# -- calls ----------------------------------------------------------------------------------
CALLS_PER_TICKET = 0.45
QUEUES = ("support", "billing", "sales")
QUEUE_SHARE = (0.65, 0.20, 0.15)
QUEUE_TEAM = (1, 0, 2)  # team answering each queue
QUEUE_TALK_S = (300.0, 240.0, 420.0)
MEAN_WAIT_S = 28.0
MEAN_PATIENCE_S = 240.0
SHORT_ABANDON_SHARE = 0.04
CALL_RESOLVED_SHARE = 0.78
KNOWN_CALLER_SHARE = 0.85
CALLBACK_IF_UNRESOLVED = 0.35
CALLBACK_IF_RESOLVED = 0.05

# -- commerce and self-service --------------------------------------------------------------
#: Orders per customer-year and median order value, per segment.
SEGMENT_ORDERS_PER_YEAR = (6.0, 3.0, 1.2)
SEGMENT_ORDER_MEDIAN = (4_000.0, 350.0, 45.0)
ORDER_AFTER_TICKET_SHARE = 0.04
KB_SESSIONS_PER_TICKET = 1.5
KB_KNOWN_CUSTOMER_SHARE = 0.40
KB_ARTICLES = 150
KB_BEFORE_TICKET_SHARE = 0.12  # tickets preceded by a failed self-service session
TOOLING_FIXED = 1_200.0
TOOLING_PER_AGENT = 85.0
OVERHEAD_FIXED = 3_500.0
OVERHEAD_SHARE_OF_LABOR = 0.18
# fmt: on
