/*
 * Show only the app-level settings the chosen authorization type uses, and,
 * of those, the ones the chosen grant uses (the client credentials grant has
 * no authorization URL and no PKCE); the callback URL only for OAuth types.
 *
 * Rows are hidden, never emptied, so switching types back and forth loses
 * nothing typed; the server resets unused settings on save. Without this
 * script every setting stays visible and the form still works.
 */
"use strict";
{
    function labelSuffix(label) {
        return label.classList.contains("vCheckboxLabel") ? "" : ":";
    }

    // The server renders a help line only when the initial type has one, so
    // the line is made here when another type brings its own.
    function helpFor(row, name) {
        const id = "id_" + name + "_helptext";
        let help = document.getElementById(id);
        if (!help && row.firstElementChild) {
            help = document.createElement("div");
            help.className = "help";
            help.id = id;
            help.appendChild(document.createElement("div"));
            row.firstElementChild.appendChild(help);
        }
        return help;
    }

    // The grant chosen, when the type has a grant setting; null otherwise.
    function chosenGrant(registry, spec) {
        const select = document.getElementById("id_" + registry.grantSetting);
        if (!spec || !spec.settings[registry.grantSetting] || !select) {
            return null;
        }
        return select.value;
    }

    function appliesTo(setting, grant) {
        const grants = setting.grants || [];
        return grant === null || grants.length === 0 || grants.includes(grant);
    }

    function applyType(registry, typeKey) {
        const spec = registry.types[typeKey];
        const grant = chosenGrant(registry, spec);
        for (const name of registry.settingNames) {
            const row = document.querySelector(".form-row.field-" + name);
            if (!row) {
                continue;
            }
            // An unknown type (tampered or stale) shows everything.
            const setting = spec ? spec.settings[name] : {};
            row.hidden = !setting || !appliesTo(setting, grant);
            if (row.hidden) {
                continue;
            }
            const label = row.querySelector("label[for='id_" + name + "']");
            if (label && setting.label) {
                label.textContent = setting.label + labelSuffix(label);
                label.classList.toggle("required", Boolean(setting.required));
            }
            const help = helpFor(row, name);
            if (help && setting.helpText !== undefined) {
                help.firstElementChild.textContent = setting.helpText;
                help.hidden = !setting.helpText;
            }
        }
        const callbackRow = document.querySelector(".form-row.field-callback_url");
        if (callbackRow) {
            callbackRow.hidden = Boolean(spec) && !spec.usesCallback;
        }
        // A section the type uses none of (API Key has no app credentials)
        // is hidden whole.
        const sections = document.querySelectorAll(
            "fieldset.type-settings, fieldset.type-settings-expiry"
        );
        for (const fieldset of sections) {
            fieldset.hidden = !fieldset.querySelector(".form-row:not([hidden])");
        }
        const typeHelp = document.getElementById("id_type_helptext");
        if (typeHelp && spec) {
            typeHelp.firstElementChild.textContent = spec.summary;
        }
    }

    document.addEventListener("DOMContentLoaded", function() {
        const data = document.getElementById("authorization-types");
        const select = document.getElementById("id_type");
        if (!data || !select) {
            return;
        }
        const registry = JSON.parse(data.textContent);
        select.addEventListener("change", function() {
            applyType(registry, select.value);
        });
        const grantSelect = document.getElementById("id_" + registry.grantSetting);
        if (grantSelect) {
            grantSelect.addEventListener("change", function() {
                applyType(registry, select.value);
            });
        }
        applyType(registry, select.value);
    });
}
