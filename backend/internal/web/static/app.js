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
  // Times in the viewer's own zone; the server wrote them in UTC, which
  // stays in the tooltip.
  var localFormat = { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  function localize(root) {
    $all('time[data-local]', root).forEach(function (el) {
      var t = Date.parse(el.getAttribute('datetime'));
      if (isNaN(t)) return;
      var opts = Object.assign({}, localFormat);
      if (new Date(t).getFullYear() !== new Date(serverNow()).getFullYear()) opts.year = 'numeric';
      el.textContent = new Intl.DateTimeFormat(undefined, opts).format(t);
    });
  }
  localize(document);

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
    var label = btn && (btn.getAttribute('data-label') || 'Grant access');
    if (btn) btn.textContent = c.secs ? label + ' for ' + formatDuration(c.secs * 1000) : label;
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
      // On a network that needs several approvals the button says which
      // this one is: "Approve (1 of 2) for 8h".
      var label = btn.getAttribute('data-approve-label') || '', submit = field(form, 'submit');
      var several = /^Approve \(/.test(label);
      if (several) submit.setAttribute('data-label', label); else submit.removeAttribute('data-label');
      setText(dlg, 'title', several ? label : 'Grant access');
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
  var confirmClose = null;
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
    // One pending confirmation at a time: the close event of an earlier
    // opening can arrive after the dialog opened again (it is queued), and
    // must neither end nor decide this one.
    if (confirmClose) dlg.removeEventListener('close', confirmClose);
    confirmClose = function () {
      if (dlg.open) return;
      dlg.removeEventListener('close', confirmClose);
      confirmClose = null;
      if (dlg.returnValue === 'ok') { form.setAttribute('data-confirmed', '1'); form.submit(); }
    };
    dlg.addEventListener('close', confirmClose);
    dlg.showModal();
    field(dlg, 'cancel').focus();
  });

  // ---- Selection and bulk decisions (Pending tab) ------------------------
  var bar = $('[data-bulk-bar]');
  function selectedIds(root) {
    return $all('[data-select]:checked', root || document).map(function (c) { return c.value; });
  }
  function updateSelection() {
    if (!bar) return;
    var boxes = $all('[data-select]'), n = selectedIds().length;
    bar.hidden = boxes.length === 0;
    setText(bar, 'selected', n === 0 ? 'None selected' : n === 1 ? '1 selected' : n + ' selected');
    $all('[data-bulk-open]', bar).forEach(function (b) { b.disabled = n === 0; });
    var all = $('[data-select-all]');
    if (all) { all.checked = n > 0 && n === boxes.length; all.indeterminate = n > 0 && n < boxes.length; }
  }
  document.addEventListener('change', function (e) {
    if (e.target.matches('[data-select-all]')) {
      $all('[data-select]').forEach(function (c) { c.checked = e.target.checked; });
    }
    if (e.target.matches('[data-select], [data-select-all]')) updateSelection();
  });
  updateSelection();

  // overMax says which chosen requests the duration would be refused for.
  function overMax(form) {
    var el = field(form, 'over');
    if (!el) return;
    var c = chosenSeconds(form), over = [];
    if (c.secs) {
      $all('[data-ids] input', form).forEach(function (inp) {
        var row = document.querySelector('tr[data-request="' + CSS.escape(inp.value) + '"]');
        var max = row ? +row.getAttribute('data-max') : 0;
        if (max > 0 && c.secs > max) over.push(row.getAttribute('data-user') + ' on ' + row.getAttribute('data-network') + ' (at most ' + formatDuration(max * 1000) + ')');
      });
    }
    el.textContent = over.length ? 'Longer than its network allows, so refused: ' + over.join('; ') + '.' : '';
    el.hidden = !over.length;
  }

  // openBulk opens the bulk grant or deny dialog for the selected requests.
  function openBulk(kind) {
    var dlg = document.getElementById('bulk-' + kind + '-dialog'), ids = selectedIds();
    if (!dlg || !ids.length || typeof dlg.showModal !== 'function') return false;
    var form = $('form', dlg), holder = $('[data-ids]', form), list = field(form, 'list');
    holder.textContent = ''; list.textContent = '';
    ids.forEach(function (id) {
      var inp = document.createElement('input');
      inp.type = 'hidden'; inp.name = 'id'; inp.value = id;
      holder.appendChild(inp);
      var row = document.querySelector('tr[data-request="' + CSS.escape(id) + '"]');
      var li = document.createElement('li');
      li.textContent = row ? row.getAttribute('data-user') + ' → ' + row.getAttribute('data-network') +
        (row.getAttribute('data-wished') ? ' (asks ' + formatDuration(+row.getAttribute('data-wished') * 1000) + ')' : '') : id;
      list.appendChild(li);
    });
    setText(form, 'count', ids.length === 1 ? '1 request' : ids.length + ' requests');
    form.elements.next.value = location.pathname + location.search;
    if (form.elements.note) form.elements.note.value = '';
    if (kind === 'grant') { setupDurations(form, 0, 8 * 3600, 0); overMax(form); }
    dlg.showModal();
    var first = kind === 'grant' ? $('input[name="duration"]:checked', form) : form.elements.note;
    if (first) first.focus();
    return true;
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest('[data-bulk-open]');
    if (b) openBulk(b.getAttribute('data-bulk-open'));
  });
  document.addEventListener('change', function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute('data-bulk-form')) overMax(form);
  });
  document.addEventListener('input', function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute('data-bulk-form')) overMax(form);
  });

  // ---- Keyboard: j/k move, x select, g grant, d deny, / search -------------
  function rows() { return $all('#requests-live tbody tr[data-request]'); }
  function currentRow() { return $('#requests-live tr[data-current]'); }
  function setCurrent(row, focus) {
    rows().forEach(function (r) { r.removeAttribute('data-current'); });
    if (!row) return;
    row.setAttribute('data-current', '');
    if (focus) {
      var link = $('a.user', row);
      if (link) link.focus({ preventScroll: true });
      row.scrollIntoView({ block: 'nearest' });
    }
  }
  function move(step) {
    var list = rows(), cur = currentRow(), i = list.indexOf(cur);
    if (!list.length) return;
    i = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
    setCurrent(list[i], true);
  }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && !(el.tagName === 'INPUT' && el.type === 'checkbox'));
  }
  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || $('dialog[open]')) return;
    var cur = currentRow();
    switch (e.key) {
    case 'j': move(1); break;
    case 'k': move(-1); break;
    case 'x': {
      var box = cur && $('[data-select]', cur);
      if (!box) return;
      box.checked = !box.checked;
      updateSelection();
      break;
    }
    case 'g': case 'd': {
      var kind = e.key === 'g' ? 'grant' : 'deny';
      if (selectedIds().length) { openBulk(kind); break; }
      var opener = cur && $('[data-open="' + kind + '"]', cur);
      if (!opener || !openDialog(kind, opener)) return;
      break;
    }
    case '/': {
      var q = document.getElementById('q');
      if (!q) return;
      q.focus(); q.select();
      break;
    }
    default: return;
    }
    e.preventDefault();
  });
  document.addEventListener('focusin', function (e) {
    var row = e.target.closest && e.target.closest('#requests-live tr[data-request]');
    if (row && row !== currentRow()) setCurrent(row, false);
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
        var selected = selectedIds(cur), current = currentRow();
        current = current && current.getAttribute('data-request');
        cur.replaceWith(document.adoptNode(fresh));
        $all('[data-select]', fresh).forEach(function (c) { c.checked = selected.indexOf(c.value) >= 0; });
        if (current) setCurrent(fresh.querySelector('tr[data-request="' + CSS.escape(current) + '"]'), false);
        updateSelection();
        tickCountdowns(); tickRelative(); localize(fresh);
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
