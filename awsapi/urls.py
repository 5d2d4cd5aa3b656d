from django.urls import path

from awsapi import views

app_name = "awsapi"

urlpatterns = [
    path("uploads/<str:upload_id>/<int:part_index>", views.upload_part, name="upload-part"),
    path("attachments/<str:attachment_id>", views.attachment_download, name="attachment-download"),
]
