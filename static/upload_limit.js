// File fields with a size limit (data-max-bytes): a file over it is refused in the browser, so
// it is never sent. The field says why, in the page's language (its data-too-large message,
// tied by aria-describedby); the browser's own check holds the form back (setCustomValidity),
// and a submit listener does too where a form skips that check (novalidate). The server still
// checks every file: this only spares the wait and the bytes.
(function () {
  function tooLarge(input) {
    var limit = parseInt(input.getAttribute('data-max-bytes'), 10);
    if (!(limit > 0) || !input.files) return false;
    for (var i = 0; i < input.files.length; i++) {
      if (input.files[i].size > limit) return true;
    }
    return false;
  }

  function describedBy(input, id, on) {
    var ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (on) ids.push(id);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  }

  function note(input) {
    var id = input.id + '-too-large';
    var found = document.getElementById(id);
    if (found) return found;
    var p = document.createElement('p');
    p.className = 'error';
    p.id = id;
    p.hidden = true;
    p.setAttribute('aria-live', 'assertive');
    var hint = document.getElementById(input.id + '-hint');
    var after = hint && hint.parentNode === input.parentNode ? hint : input;
    after.parentNode.insertBefore(p, after.nextSibling);
    return p;
  }

  // True when the chosen file may be sent; otherwise the field says why.
  function check(input) {
    var p = note(input);
    var field = input.closest('.field');
    var refused = tooLarge(input);
    var message = refused ? input.getAttribute('data-too-large') : '';
    input.setCustomValidity(message);
    p.textContent = message;
    p.hidden = !refused;
    describedBy(input, p.id, refused);
    // Marked as this script's own, so a good file chosen next clears only what it set (an
    // error the server gave the field stays until the form is sent again).
    if (refused) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('data-refused-here', '');
      if (field) field.classList.add('has-error');
    } else if (input.hasAttribute('data-refused-here')) {
      input.removeAttribute('data-refused-here');
      input.setAttribute('aria-invalid', 'false');
      if (field) field.classList.remove('has-error');
    }
    return !refused;
  }

  var inputs = document.querySelectorAll('input[type=file][data-max-bytes]');
  Array.prototype.forEach.call(inputs, function (input) {
    note(input);
    check(input); // a file the browser kept on going back
    input.addEventListener('change', function () { check(input); });
    if (input.form) {
      input.form.addEventListener('submit', function (event) {
        if (!check(input)) {
          event.preventDefault();
          input.focus();
        }
      });
    }
  });
})();
