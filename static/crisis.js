// The crisis message page: its tally and answers refresh in place every 30 seconds (no page
// reload), and on demand; a live region says when, so a screen reader hears it once.
(function () {
  var tally = document.getElementById('crisis-tally');
  var answers = document.getElementById('crisis-recipients');
  var status = document.getElementById('crisis-refreshed');
  var button = document.getElementById('crisis-refresh');
  if (!tally || !answers || !status) return;
  function refresh() {
    fetch(window.location.href, {credentials: 'same-origin', headers: {'Accept': 'text/html'}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        var newTally = fresh.getElementById('crisis-tally');
        var newAnswers = fresh.getElementById('crisis-recipients');
        if (newTally) tally.innerHTML = newTally.innerHTML;
        if (newAnswers) answers.innerHTML = newAnswers.innerHTML;
        var now = new Date();
        status.textContent = status.getAttribute('data-updated') + ' ' +
          now.toTimeString().slice(0, 5);
      })
      .catch(function () { status.textContent = status.getAttribute('data-failed'); });
  }
  if (button) { button.hidden = false; button.addEventListener('click', refresh); }
  if (tally.getAttribute('data-open') === 'true') window.setInterval(refresh, 30000);
})();
