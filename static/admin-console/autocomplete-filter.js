/*
 * Reload a changelist when an autocomplete filter's search box picks an
 * object (see console/admin_filters.py).
 */
"use strict";
{
    // select2 announces a choice through jQuery's "change" event only.
    django.jQuery(document).on(
        "change",
        "select.console-autocomplete-filter",
        function() {
            if (!this.value) {
                // Cleared: leave the parameter out, which lists them all.
                this.disabled = true;
            }
            this.form.submit();
        }
    );
}
