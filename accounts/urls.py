from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signin/", views.sign_in, name="sign-in"),
    path("signin/<str:account_id>/", views.iam_sign_in, name="iam-sign-in"),
    path("signout/", views.sign_out, name="sign-out"),
    path("account/", views.my_account, name="my-account"),
    path("iam/", views.iam_home, name="iam"),
    path("iam/create-user/", views.iam_user_create, name="iam-user-create"),
    path("iam/users/<str:user_name>/", views.iam_user, name="iam-user"),
    path("iam/users/<str:user_name>/<slug:action>/", views.iam_user_action, name="iam-user-action"),
    path("iam/create-policy/", views.iam_policy_create, name="iam-policy-create"),
    path("iam/create-group/", views.iam_group_create, name="iam-group-create"),
    path("iam/groups/<str:name>/", views.iam_group, name="iam-group"),
]
