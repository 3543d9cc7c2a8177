// Region pickers (the itinerary's legs, the who-is-where filter): offer only the chosen
// country's regions (ISO 3166-2) by name; the server checks again. A form opts in with
// data-regions-url (XX stands for the country) and data-whole-country (the empty choice);
// each select named "country" or "<prefix>-country" refills the "region" select beside it.
(function () {
  var forms = document.querySelectorAll('form[data-regions-url][data-whole-country]');
  Array.prototype.forEach.call(forms, function (form) {
    var url = form.getAttribute('data-regions-url');
    var whole = form.getAttribute('data-whole-country');
    form.addEventListener('change', function (event) {
      var country = event.target;
      if (!country.name || !/(^|-)country$/.test(country.name)) return;
      var region = document.getElementById(country.name.replace(/country$/, 'region'));
      if (!region) return;
      region.innerHTML = '';
      var blank = document.createElement('option');
      blank.value = ''; blank.textContent = whole; region.appendChild(blank);
      var asked = country.value;
      if (!asked) return;
      fetch(url.replace('XX', encodeURIComponent(asked)), {credentials: 'same-origin'})
        .then(function (r) { return r.json(); })
        .then(function (rows) {
          if (country.value !== asked) return;  // another country was chosen meanwhile
          rows.forEach(function (row) {
            var o = document.createElement('option');
            o.value = row.code; o.textContent = row.name; region.appendChild(o);
          });
        });
    });
  });
})();
