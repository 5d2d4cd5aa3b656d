from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path

from accounts import views, views_iam, views_policies

app_name = "accounts"

urlpatterns = [
    path("signin/", views.sign_in, name="sign-in"),
    # Before signin/<account id>/, which would take these for account ids.
    path("signin/code/", views.mfa_verify, name="mfa-verify"),
    path("signin/forgot/", views.PasswordReset.as_view(), name="password-reset"),
    path(
        "signin/forgot/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password-reset-done",
    ),
    path("signin/<str:account_id>/", views.iam_sign_in, name="iam-sign-in"),
    path("signout/", views.sign_out, name="sign-out"),
    path("account/", views.my_account, name="my-account"),
    path("account/mfa/", views.mfa_settings, name="mfa"),
    path(
        "account/password/",
        login_required(views.PasswordChange.as_view()),
        name="password-change",
    ),
    path(
        "account/password/done/",
        login_required(
            auth_views.PasswordChangeDoneView.as_view(
                template_name="accounts/password_change_done.html"
            )
        ),
        name="password-change-done",
    ),
    path(
        "signin/reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "signin/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    path("iam/", views_iam.iam_home, name="iam"),
    path("iam/create-user/", views_iam.iam_user_create, name="iam-user-create"),
    path("iam/users/<str:user_name>/", views_iam.iam_user, name="iam-user"),
    path(
        "iam/users/<str:user_name>/<slug:action>/",
        views_iam.iam_user_action,
        name="iam-user-action",
    ),
    path("iam/create-policy/", views_iam.iam_policy_create, name="iam-policy-create"),
    # <path:>: policy names are not limited to a URL segment's characters.
    path("iam/policies/<path:name>/", views_policies.iam_policy, name="iam-policy"),
    path(
        "iam/delete-policy/<path:name>/",
        views_policies.iam_policy_delete,
        name="iam-policy-delete",
    ),
    path(
        "iam/set-default-policy-version/<str:version>/<path:name>/",
        views_policies.iam_policy_version_set_default,
        name="iam-policy-version-default",
    ),
    path(
        "iam/delete-policy-version/<str:version>/<path:name>/",
        views_policies.iam_policy_version_delete,
        name="iam-policy-version-delete",
    ),
    path("iam/create-group/", views_iam.iam_group_create, name="iam-group-create"),
    path("iam/groups/<str:name>/", views_iam.iam_group, name="iam-group"),
]
