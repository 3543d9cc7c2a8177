// The advisory form: offer only the chosen country's regions (ISO 3166-2); the server checks again.
(function () {
  var form = document.getElementById('advisory-form');
  if (!form) return;
  var url = form.getAttribute('data-regions-url');
  var country = document.getElementById('country'), region = document.getElementById('region');
  var list = document.getElementById('region-options');
  region.setAttribute('list', 'region-options');
  country.addEventListener('change', function () {
    list.innerHTML = '';
    if (!country.value) return;
    fetch(url.replace('XX', encodeURIComponent(country.value)))
      .then(function (r) { return r.json(); })
      .then(function (rows) { rows.forEach(function (row) {
        var o = document.createElement('option'); o.value = row.code; o.textContent = row.name; list.appendChild(o);
      }); });
  });
})();
