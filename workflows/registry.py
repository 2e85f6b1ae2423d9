"""Every workflow SatuPintu runs, once: the workers register these and the auditor replays against them.

A module of its own, not the package's __init__, so that a workflow loaded in the sandbox does not import all the
others with it."""

from workflows.complaint import ComplaintWorkflow
from workflows.leave import LeaveRequestWorkflow
from workflows.letters import IncomingLetterWorkflow, OutgoingLetterWorkflow
from workflows.notification import NotificationWorkflow
from workflows.permit import PermitApplicationWorkflow
from workflows.siramasakan import SiramasakanWorkflow
from workflows.walk_in import WalkInVisitWorkflow
from workflows.whatsapp import WhatsAppConversationWorkflow

WORKFLOWS = [LeaveRequestWorkflow, PermitApplicationWorkflow, NotificationWorkflow, WalkInVisitWorkflow, IncomingLetterWorkflow, OutgoingLetterWorkflow,
             WhatsAppConversationWorkflow, ComplaintWorkflow, SiramasakanWorkflow]
