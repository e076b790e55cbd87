// Applies the saved easy-read choice before the page paints (classic script in <head>).
try {
  if (window.localStorage.getItem("scrapbook:easy-read") === "on") {
    document.documentElement.classList.add("easy-read");
  }
} catch (e) { /* storage may be blocked; the standard view is fine */ }
