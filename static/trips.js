// The itinerary form: offer only the chosen country's regions (ISO 3166-2); the server checks again.
(function () {
  var form = document.getElementById('trip-form');
  if (!form) return;
  var url = form.getAttribute('data-regions-url');
  var whole = form.getAttribute('data-whole-country');
  form.addEventListener('change', function (event) {
    var country = event.target;
    if (!country.name || !/^legs-\d+-country$/.test(country.name)) return;
    var region = document.getElementById(country.name.replace(/country$/, 'region'));
    if (!region) return;
    region.innerHTML = '';
    var blank = document.createElement('option');
    blank.value = ''; blank.textContent = whole; region.appendChild(blank);
    if (!country.value) return;
    fetch(url.replace('XX', country.value), {credentials: 'same-origin'})
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        rows.forEach(function (row) {
          var o = document.createElement('option');
          o.value = row.code; o.textContent = row.name; region.appendChild(o);
        });
      });
  });
})();
