// Gatepass admin: small progressive enhancements. Text from the server is
// only ever set with textContent; HTML comes only as whole fragments
// rendered (and escaped) by the server's templates.
(function () {
  'use strict';

  var offset = 0; // server clock − this clock, in ms
  function setServerTime(iso) {
    var t = Date.parse(iso || '');
    if (!isNaN(t)) offset = t - Date.now();
  }
  function serverNow() { return Date.now() + offset; }
  var meta = document.querySelector('meta[name="server-time"]');
  if (meta) setServerTime(meta.content);

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function field(root, name) { return root.querySelector('[data-field="' + name + '"]'); }
  function setText(root, name, text) { var el = field(root, name); if (el) el.textContent = text || ''; }

  // Durations as the server writes them: the two largest units, "29d 23h".
  function formatDuration(ms) {
    var s = Math.floor(ms / 1000);
    if (s <= 0) return '0s';
    var parts = [], units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
    for (var i = 0; i < units.length && parts.length < 2; i++) {
      var n = Math.floor(s / units[i][1]);
      if (n > 0 || parts.length) { if (n > 0) parts.push(n + units[i][0]); s -= n * units[i][1]; }
    }
    return parts.join(' ');
  }

  function plural(n, unit) { return n === 1 ? '1 ' + unit : n + ' ' + unit + 's'; }
  function relative(t) {
    var d = serverNow() - t, future = d < 0;
    if (future) d = -d;
    var s;
    if (d < 45e3) return 'just now';
    else if (d < 90e3) s = '1 minute';
    else if (d < 3600e3) s = plural(Math.round(d / 60e3), 'minute');
    else if (d < 36 * 3600e3) s = plural(Math.round(d / 3600e3), 'hour');
    else if (d < 60 * 86400e3) s = plural(Math.round(d / 86400e3), 'day');
    else s = plural(Math.round(d / (30 * 86400e3)), 'month');
    return future ? 'in ' + s : s + ' ago';
  }

  function tickCountdowns() {
    $all('[data-expires]').forEach(function (el) {
      var left = Date.parse(el.getAttribute('data-expires')) - serverNow();
      if (isNaN(left)) return;
      if (left <= 0) { el.textContent = 'Expired'; el.classList.add('expired'); }
      else el.textContent = formatDuration(left);
    });
  }
  function tickRelative() {
    $all('time[data-rel]').forEach(function (el) {
      var t = Date.parse(el.getAttribute('datetime'));
      if (!isNaN(t)) el.textContent = relative(t);
    });
  }
  setInterval(tickCountdowns, 1000);
  setInterval(tickRelative, 30000);
  tickCountdowns();

  // ---- Grant: the duration picker -------------------------------------
  var unitSeconds = { m: 60, h: 3600, d: 86400 };

  function chosenSeconds(form) {
    var checked = form.querySelector('input[name="duration"]:checked');
    if (!checked) return { error: 'Choose a duration.' };
    if (checked.value !== 'custom') return { secs: +checked.value };
    var amount = parseInt(form.elements.custom_amount.value, 10);
    if (!(amount > 0)) return { error: 'Enter a custom duration: a whole number of minutes, hours or days.' };
    return { secs: amount * unitSeconds[form.elements.custom_unit.value] };
  }

  function updateGrantLabel(form) {
    var btn = field(form, 'submit'), c = chosenSeconds(form);
    if (btn) btn.textContent = c.secs ? 'Grant access for ' + formatDuration(c.secs * 1000) : 'Grant access';
    var err = field(form, 'duration-error');
    if (err) { err.hidden = true; err.textContent = ''; }
  }

  // chipLabel names a duration as the presets do: "2 hours", "3 days".
  function chipLabel(secs) {
    if (secs % 86400 === 0) return plural(secs / 86400, 'day');
    if (secs % 3600 === 0) return plural(secs / 3600, 'hour');
    return formatDuration(secs * 1000);
  }

  // setupDurations offers the presets up to max (seconds; 0: no limit)
  // and selects what the requester asked for (wished, clamped to max) —
  // with a chip of its own when it is no preset — else def, as a preset
  // or as a custom value.
  function setupDurations(form, max, def, wished) {
    var fs = $('[data-durations]', form);
    $all('[data-asked]', form).forEach(function (r) { r.closest('.chip').remove(); });
    var target = def, clamped = false;
    if (wished > 0) {
      target = wished;
      if (max > 0 && wished > max) { target = max; clamped = true; }
    }
    var matched = false;
    var radios = $all('input[name="duration"]', form);
    radios.forEach(function (r) {
      if (r.value === 'custom') return;
      var secs = +r.value, over = max > 0 && secs > max;
      r.disabled = over;
      r.closest('.chip').hidden = over;
      r.checked = !over && secs === target;
      matched = matched || r.checked;
    });
    if (!matched && wished > 0) {
      var label = document.createElement('label');
      label.className = 'chip chip-asked';
      label.title = 'What they asked for';
      var input = document.createElement('input');
      input.type = 'radio'; input.name = 'duration'; input.value = String(target);
      input.setAttribute('data-asked', '');
      var span = document.createElement('span');
      span.textContent = chipLabel(target);
      label.appendChild(input); label.appendChild(span);
      var before = null;
      radios.forEach(function (r) {
        if (!before && (r.value === 'custom' || +r.value > target)) before = r.closest('.chip');
      });
      before.parentNode.insertBefore(label, before);
      input.checked = matched = true;
    }
    var amount = form.elements.custom_amount, unit = form.elements.custom_unit;
    amount.value = '';
    if (!matched && def > 0) {
      $('[data-custom-radio]', form).checked = true;
      var u = def % 86400 === 0 ? 'd' : def % 3600 === 0 ? 'h' : 'm';
      amount.value = Math.ceil(def / unitSeconds[u]);
      unit.value = u;
    }
    if (fs) fs.setAttribute('data-max', String(max));
    var maxEl = field(form, 'max');
    if (maxEl) { maxEl.textContent = formatDuration(max * 1000); maxEl.parentNode.hidden = !(max > 0); }
    var w = field(form, 'wished');
    if (w) {
      w.textContent = wished ? 'They asked for ' + formatDuration(wished * 1000) +
        (clamped ? '; this network allows at most ' + formatDuration(max * 1000) : '') + '.' : '';
      w.hidden = !wished;
    }
    updateGrantLabel(form);
  }

  document.addEventListener('input', function (e) {
    var form = e.target.form;
    if (!form || !form.hasAttribute('data-grant-form')) return;
    if (e.target.name === 'custom_amount' || e.target.name === 'custom_unit') {
      var custom = $('[data-custom-radio]', form);
      if (custom && e.target.name === 'custom_amount' && e.target.value !== '') custom.checked = true;
    }
    updateGrantLabel(form);
  });
  document.addEventListener('change', function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute('data-grant-form')) updateGrantLabel(form);
    if (e.target.matches('select[data-autosubmit]') && form) form.requestSubmit();
  });
  $all('form[data-grant-form]').forEach(updateGrantLabel);

  function checkGrant(form) {
    var c = chosenSeconds(form);
    var fs = $('[data-durations]', form);
    var max = fs ? +fs.getAttribute('data-max') : 0;
    if (!c.error && max > 0 && c.secs > max) {
      c.error = formatDuration(c.secs * 1000) + ' is longer than this network\'s maximum of ' + formatDuration(max * 1000) + '.';
    }
    if (!c.error) return true;
    var err = field(form, 'duration-error');
    if (err) { err.textContent = c.error; err.hidden = false; }
    return false;
  }

  // ---- Dialogs -----------------------------------------------------------
  // openDialog opens the grant, deny or revoke dialog for the request of
  // the row the button is in (its data-* attributes).
  function openDialog(kind, opener) {
    var dlg = document.getElementById(kind + '-dialog');
    var btn = opener.closest('[data-request]');
    if (!dlg || !btn || typeof dlg.showModal !== 'function') return false;
    var form = $('form', dlg);
    form.action = '/admin/requests/' + encodeURIComponent(btn.getAttribute('data-request')) + '/' + kind;
    form.elements.next.value = location.pathname + location.search;
    setText(dlg, 'user', btn.getAttribute('data-user'));
    setText(dlg, 'network', btn.getAttribute('data-network'));
    setText(dlg, 'reason', btn.getAttribute('data-reason'));
    var note = form.elements.note;
    if (note) note.value = '';
    if (kind === 'grant') {
      setupDurations(form, +btn.getAttribute('data-max') || 0, +btn.getAttribute('data-default') || 0, +btn.getAttribute('data-wished') || 0);
    }
    if (kind === 'revoke') {
      var left = Date.parse(btn.getAttribute('data-until')) - serverNow();
      setText(dlg, 'left', left > 0 ? ' (' + formatDuration(left) + ' before it would expire)' : '');
    }
    dlg.showModal();
    var first = kind === 'grant' ? $('input[name="duration"]:checked', form) : note;
    if (first) first.focus();
    return true;
  }

  document.addEventListener('click', function (e) {
    var opener = e.target.closest('[data-open]');
    if (opener && !e.defaultPrevented && e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey) {
      if (openDialog(opener.getAttribute('data-open'), opener)) e.preventDefault();
      return;
    }
    var closer = e.target.closest('[data-close]');
    if (closer) { closer.closest('dialog').close(); return; }
    if (e.target.tagName === 'DIALOG') e.target.close(); // a click on the backdrop
  });

  // ---- Confirmation of consequential forms ------------------------------
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (form.hasAttribute('data-grant-form') && !checkGrant(form)) { e.preventDefault(); return; }
    if (!form.hasAttribute('data-confirm') || form.getAttribute('data-confirmed') === '1') return;
    var dlg = document.getElementById('confirm-dialog');
    if (!dlg || typeof dlg.showModal !== 'function') return;
    e.preventDefault();
    setText(dlg, 'title', form.getAttribute('data-confirm-title') || 'Are you sure?');
    setText(dlg, 'text', form.getAttribute('data-confirm'));
    setText(dlg, 'ok', form.getAttribute('data-confirm-ok') || 'Confirm');
    dlg.returnValue = '';
    dlg.addEventListener('close', function onClose() {
      dlg.removeEventListener('close', onClose);
      if (dlg.returnValue === 'ok') { form.setAttribute('data-confirmed', '1'); form.submit(); }
    });
    dlg.showModal();
    field(dlg, 'cancel').focus();
  });

  // ---- Live updates --------------------------------------------------------
  var regions = function () { return $all('[data-live-url]'); };
  var indicator = $('[data-live-state]');
  var streamURL = document.body.getAttribute('data-live-events');

  function refresh(region) {
    var id = region.id;
    return fetch(region.getAttribute('data-live-url'), { credentials: 'same-origin', headers: { Accept: 'text/html', 'X-Gatepass-Live': '1' } })
      .then(function (res) {
        setServerTime(res.headers.get('Gatepass-Server-Time'));
        if (!res.ok || res.redirected) throw new Error('refresh: ' + res.status);
        return res.text();
      })
      .then(function (html) {
        var cur = document.getElementById(id);
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById(id);
        if (!cur || !fresh || fresh.getAttribute('data-version') === cur.getAttribute('data-version')) return;
        var focused = document.activeElement, key = null;
        if (focused && cur.contains(focused)) {
          var row = focused.closest('[data-request]');
          key = { row: row && row.getAttribute('data-request'), open: focused.getAttribute('data-open'), href: focused.getAttribute('href') };
        }
        cur.replaceWith(document.adoptNode(fresh));
        tickCountdowns(); tickRelative();
        if (key) {
          var target = key.row && fresh.querySelector('[data-request="' + CSS.escape(key.row) + '"] ' + (key.open ? '[data-open="' + key.open + '"]' : 'a'));
          if (!target && key.href) target = fresh.querySelector('a[href="' + CSS.escape(key.href) + '"]');
          (target || fresh).focus && (target || fresh).focus();
        }
      })
      .catch(function () {});
  }

  var pending = null;
  function refreshSoon() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; regions().forEach(refresh); }, 150);
  }

  if (indicator && (!streamURL || !regions().length || !('EventSource' in window))) indicator.hidden = true;
  if (streamURL && regions().length && 'EventSource' in window) {
    var opened = false;
    var es = new EventSource(streamURL);
    var onEvent = function (e) { try { setServerTime(JSON.parse(e.data).server_time); } catch (_) {} };
    es.addEventListener('hello', function (e) {
      onEvent(e);
      if (indicator) indicator.setAttribute('data-live-state', 'on');
      if (opened) refreshSoon(); // reconnected: catch up on what was missed
      opened = true;
    });
    es.addEventListener('ping', onEvent);
    es.addEventListener('change', function (e) { onEvent(e); refreshSoon(); });
    es.onerror = function () { if (indicator) indicator.setAttribute('data-live-state', es.readyState === 2 ? 'off' : 'connecting'); };
    window.addEventListener('pagehide', function () { es.close(); });
  }
})();
