/*
 * Copy buttons: <button data-copy-target="ID"> copies the text of element ID.
 *
 * The clipboard API needs a secure context (https, or localhost); elsewhere
 * the text is selected and copied the old way, and if even that is refused
 * it stays selected for Ctrl+C. The text is plain page text either way, so
 * it can always be selected by hand.
 */
"use strict";
{
    function say(button, message) {
        const status = button.parentElement.querySelector(".copy-status");
        if (status) {
            status.textContent = message;
        }
    }

    function selectText(element) {
        const range = document.createRange();
        range.selectNodeContents(element);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }

    function copyBySelection(button, element) {
        selectText(element);
        let copied = false;
        try {
            copied = document.execCommand("copy");
        } catch (error) {
            copied = false;
        }
        say(button, copied ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.");
    }

    document.addEventListener("click", function(event) {
        const button = event.target.closest("button[data-copy-target]");
        if (!button) {
            return;
        }
        const element = document.getElementById(button.dataset.copyTarget);
        if (!element) {
            return;
        }
        const text = element.textContent.trim();
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(text).then(
                function() {
                    say(button, "Copied.");
                },
                function() {
                    copyBySelection(button, element);
                }
            );
        } else {
            copyBySelection(button, element);
        }
    });
}
