"""What audit records are called: CloudTrail's event sources, and every event name Support Center
records outside the AWS API dispatcher (which names a call after its operation). One enum, so a
name is written once and a typo is an import error, not a record nobody can find."""

from __future__ import annotations

import enum

SUPPORT_SOURCE = "support.amazonaws.com"
TRUSTED_ADVISOR_SOURCE = "trustedadvisor.amazonaws.com"
SIGNIN_SOURCE = "signin.amazonaws.com"
IAM_SOURCE = "iam.amazonaws.com"
EVENTS_SOURCE = "events.amazonaws.com"
CLOUDTRAIL_SOURCE = "cloudtrail.amazonaws.com"
ACCOUNT_SOURCE = "account.amazonaws.com"
# The name Support's own actions go by when no engineer takes them (the system principal: a test
# case's scripted answers, the auto-resolve job): the author AWS gives Support's correspondence.
SUPPORT_NAME = "Amazon Web Services"


class AuditEventName(enum.StrEnum):
    # Support: the API's operation names, which console actions reuse.
    CREATE_CASE = "CreateCase"
    ADD_COMMUNICATION_TO_CASE = "AddCommunicationToCase"
    RESOLVE_CASE = "ResolveCase"
    ADD_ATTACHMENTS_TO_SET = "AddAttachmentsToSet"
    GET_ATTACHMENT_UPLOAD_LINKS = "GetAttachmentUploadLinks"
    DESCRIBE_ATTACHMENT = "DescribeAttachment"
    COMPLETE_ATTACHMENT_UPLOAD = "CompleteAttachmentUpload"
    # Support: ours, for what only the consoles and jobs do.
    REOPEN_CASE = "ReopenCase"
    ADD_CC_TO_CASE = "AddCcEmailAddressesToCase"
    UPDATE_CASE_STATUS = "UpdateCaseStatus"
    ASSIGN_CASE = "AssignCase"
    # AWS has no operation for it; named as the console's own actions are.
    RELEASE_CASE = "ReleaseCase"
    ADD_INTERNAL_NOTE = "AddInternalNote"
    PURGE_CASES = "PurgeCases"
    UPDATE_CASE_CLASSIFICATION = "UpdateCaseClassification"
    RECORD_CALLBACK = "RecordCallback"
    PLACE_LEGAL_HOLD = "PlaceLegalHold"
    RELEASE_LEGAL_HOLD = "ReleaseLegalHold"
    # IAM and sign-in (AWS's names)
    CREATE_ACCOUNT = "CreateAccount"
    UPDATE_SUPPORT_PLAN = "UpdateSupportPlan"
    CREATE_USER = "CreateUser"
    DELETE_USER = "DeleteUser"
    UPDATE_LOGIN_PROFILE = "UpdateLoginProfile"
    DELETE_LOGIN_PROFILE = "DeleteLoginProfile"
    CREATE_GROUP = "CreateGroup"
    ADD_USER_TO_GROUP = "AddUserToGroup"
    CREATE_POLICY = "CreatePolicy"
    ATTACH_USER_POLICY = "AttachUserPolicy"
    DETACH_USER_POLICY = "DetachUserPolicy"
    ATTACH_GROUP_POLICY = "AttachGroupPolicy"
    CREATE_ACCESS_KEY = "CreateAccessKey"
    UPDATE_ACCESS_KEY = "UpdateAccessKey"
    DELETE_ACCESS_KEY = "DeleteAccessKey"
    CONSOLE_LOGIN = "ConsoleLogin"
    CHANGE_PASSWORD = "ChangePassword"
    ENABLE_MFA_DEVICE = "EnableMFADevice"
    DEACTIVATE_MFA_DEVICE = "DeactivateMFADevice"
    PASSWORD_RECOVERY_REQUESTED = "PasswordRecoveryRequested"
    PASSWORD_RECOVERY_COMPLETED = "PasswordRecoveryCompleted"
    UPDATE_USER = "UpdateUser"
    REMOVE_USER_FROM_GROUP = "RemoveUserFromGroup"
    DETACH_GROUP_POLICY = "DetachGroupPolicy"
    DELETE_GROUP = "DeleteGroup"
    DELETE_POLICY = "DeletePolicy"
    CREATE_POLICY_VERSION = "CreatePolicyVersion"
    SET_DEFAULT_POLICY_VERSION = "SetDefaultPolicyVersion"
    DELETE_POLICY_VERSION = "DeletePolicyVersion"
    # IAM: ours, for what operators change in the admin (IAM has no such calls).
    UPDATE_ACCOUNT = "UpdateAccount"
    # AWS Account Management's names, for what a root user changes on My Account.
    PUT_CONTACT_INFORMATION = "PutContactInformation"
    PUT_ALTERNATE_CONTACT = "PutAlternateContact"
    DELETE_ALTERNATE_CONTACT = "DeleteAlternateContact"
    UPDATE_ENGINEER_SERVICES = "UpdateEngineerServices"
    # Reference data (catalog), changed by operators in the admin: Put creates or updates.
    PUT_SUPPORT_PLAN = "PutSupportPlan"
    PUT_RESPONSE_TIME_TARGET = "PutResponseTimeTarget"
    DELETE_RESPONSE_TIME_TARGET = "DeleteResponseTimeTarget"
    PUT_SEVERITY = "PutSeverity"
    PUT_SERVICE = "PutService"
    PUT_CATEGORY = "PutCategory"
    # Canned responses (macros), changed by operators in the admin: Put creates or updates.
    PUT_MACRO = "PutMacro"
    DELETE_MACRO = "DeleteMacro"
    # EventBridge (rules over Support Center's events)
    PUT_RULE = "PutRule"
    DELETE_RULE = "DeleteRule"
    ENABLE_RULE = "EnableRule"
    DISABLE_RULE = "DisableRule"
    PUT_TARGETS = "PutTargets"
    REMOVE_TARGETS = "RemoveTargets"
    START_REPLAY = "StartReplay"
    # Ours: EventBridge has no email-target confirmation (SNS's is ConfirmSubscription).
    CONFIRM_TARGET = "ConfirmTarget"
    RESEND_TARGET_CONFIRMATION = "ResendTargetConfirmation"
    # Trusted Advisor console actions, and the connection to the customer's AWS environment
    REFRESH_CHECK = "RefreshCheck"
    EXCLUDE_CHECK_ITEMS = "ExcludeCheckItems"
    INCLUDE_CHECK_ITEMS = "IncludeCheckItems"
    UPDATE_AWS_CONNECTION = "UpdateAwsConnection"
    DELETE_AWS_CONNECTION = "DeleteAwsConnection"
    # CloudTrail
    CREATE_TRAIL = "CreateTrail"
    DELETE_TRAIL = "DeleteTrail"
    START_LOGGING = "StartLogging"
    STOP_LOGGING = "StopLogging"
