from django.contrib import admin

from catalog.models import Category, Service


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("code", "name", "name_ja", "extra_field_label", "is_active")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "case_type", "is_active")
    list_filter = ("case_type", "is_active")
    search_fields = ("name", "code")
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "service", "is_active")
    list_filter = ("service__case_type", "is_active")
    search_fields = ("name", "code", "service__code")
