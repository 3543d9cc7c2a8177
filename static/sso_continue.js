// The SAML answer's second post, from this site so the session cookie comes along (the browser
// left the SameSite=Lax cookie off the IdP's cross-site post). Without script the page shows a
// button that does the same.
(function () {
  var form = document.getElementById('saml-continue');
  if (form) form.submit();
})();
